package dev.buildcache.operator.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cluster DNS, for what the gateway asks of it: A records of Service names, answered over UDP as RFC 1035 says
 * (the question echoed, the answer's name a pointer to it). A name it does not know is NXDOMAIN (rcode 3), as CoreDNS
 * answers for a Service that does not exist; another type for a known name is an empty NOERROR answer (NODATA).
 */
public final class TestDnsServer implements AutoCloseable {
  private static final int TYPE_A = 1;

  private final DatagramSocket socket;
  private final Map<String, InetAddress> records = new ConcurrentHashMap<>();
  private final AtomicInteger queries = new AtomicInteger();
  private final Thread thread;

  public TestDnsServer() throws SocketException {
    socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    thread = new Thread(this::serve, "test-dns");
    thread.setDaemon(true);
    thread.start();
  }

  /** host:port, as a resolver's nameserver line takes it. */
  public String address() {
    return socket.getLocalAddress().getHostAddress() + ":" + socket.getLocalPort();
  }

  public void put(String name, InetAddress address) {
    records.put(canonical(name), address);
  }

  public int queries() {
    return queries.get();
  }

  private static String canonical(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
  }

  private void serve() {
    byte[] buffer = new byte[4096];
    while (!socket.isClosed()) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
        byte[] answer = answer(ByteBuffer.wrap(packet.getData(), 0, packet.getLength()));
        if (answer != null) {
          socket.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
        }
      } catch (IOException | RuntimeException e) {
        if (socket.isClosed()) {
          return;
        }
      }
    }
  }

  private byte[] answer(ByteBuffer query) {
    if (query.remaining() < 12) {
      return null;
    }
    queries.incrementAndGet();
    int id = query.getShort(0) & 0xffff;
    int questionStart = 12;
    int position = questionStart;
    StringBuilder name = new StringBuilder();
    while (true) {
      int length = query.get(position) & 0xff;
      position++;
      if (length == 0) {
        break;
      }
      if (name.length() > 0) {
        name.append('.');
      }
      byte[] label = new byte[length];
      query.get(position, label);
      name.append(new String(label, StandardCharsets.US_ASCII));
      position += length;
    }
    int type = query.getShort(position) & 0xffff;
    int questionEnd = position + 4;
    byte[] question = new byte[questionEnd - questionStart];
    query.get(questionStart, question);
    InetAddress address = records.get(canonical(name.toString()));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    boolean answered = address != null && type == TYPE_A;
    int rcode = address == null ? 3 : 0;
    // QR, opcode 0, RD copied as set, RA; rcode
    writeShort(out, id);
    writeShort(out, 0x8180 | rcode);
    writeShort(out, 1);
    writeShort(out, answered ? 1 : 0);
    writeShort(out, 0);
    writeShort(out, 0);
    out.writeBytes(question);
    if (answered) {
      writeShort(out, 0xc000 | questionStart);
      writeShort(out, TYPE_A);
      writeShort(out, 1);
      writeShort(out, 0);
      writeShort(out, 5); // TTL 5 s, as CoreDNS's default for Services
      writeShort(out, 4);
      out.writeBytes(address.getAddress());
    }
    return out.toByteArray();
  }

  private static void writeShort(ByteArrayOutputStream out, int value) {
    out.write((value >> 8) & 0xff);
    out.write(value & 0xff);
  }

  @Override
  public void close() {
    socket.close();
  }
}
