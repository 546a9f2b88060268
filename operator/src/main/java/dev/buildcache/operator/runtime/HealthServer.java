package dev.buildcache.operator.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * {@code /healthz} (liveness: the process serves), {@code /readyz} (readiness: informers synced and healthy) and
 * {@code /metrics} (Prometheus text format) on one port.
 */
public final class HealthServer implements AutoCloseable {
  private final HttpServer server;

  public HealthServer(int port, BooleanSupplier ready, PrometheusMeterRegistry meters) throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 0);
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "health-server");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/healthz", exchange -> respond(exchange, 200, "ok\n", "text/plain"));
    server.createContext("/readyz", exchange -> {
      boolean ok = ready.getAsBoolean();
      respond(exchange, ok ? 200 : 503, ok ? "ok\n" : "not ready\n", "text/plain");
    });
    server.createContext("/metrics", exchange ->
        respond(exchange, 200, meters.scrape(), "text/plain; version=0.0.4; charset=utf-8"));
  }

  public void start() {
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int status, String body, String contentType) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
