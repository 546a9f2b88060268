package dev.buildcache.operator.gc.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.buildcache.operator.registry.Blob;
import dev.buildcache.operator.registry.ManifestFacts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The CLI's store: one gzip'd JSON file per repository under a directory ({@code $XDG_STATE_HOME/buildcache} by
 * default), written atomically, and a lock file that a second run on the same repository finds held. A state file
 * that cannot be read is set aside and the run starts empty, which keeps caches rather than deleting them.
 *
 * <p>Blob digests are written once in a table and referenced by index, so a repository of 10k cache images with
 * shared base layers takes a few MB.
 */
public final class FileGcStateStore implements GcStateStore {
  static final int VERSION = 1;
  private static final JsonFactory JSON = new JsonFactory();
  private final Path directory;
  private final boolean persistent;

  private FileGcStateStore(Path directory, boolean persistent) {
    this.directory = directory;
    this.persistent = persistent;
  }

  /** State kept under {@code directory}, one folder per repository. */
  public static FileGcStateStore in(Path directory) {
    return new FileGcStateStore(directory, true);
  }

  /**
   * No state kept ({@code --no-state}): every run starts empty. The lock still applies, in the temporary
   * directory, so two runs on one machine do not work on one repository at once.
   */
  public static FileGcStateStore none() {
    return new FileGcStateStore(Path.of(System.getProperty("java.io.tmpdir"), "buildcache-gc-locks"), false);
  }

  /** {@code $XDG_STATE_HOME/buildcache}, else {@code ~/.local/state/buildcache}. */
  public static Path defaultDirectory(Map<String, String> environment) {
    String xdg = environment.get("XDG_STATE_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      return Path.of(xdg, "buildcache");
    }
    return Path.of(System.getProperty("user.home"), ".local", "state", "buildcache");
  }

  /** The folder of one repository: {@code host[_port]/name}. */
  Path folder(String repository) {
    return directory.resolve(repository.replace(':', '_'));
  }

  @Override
  public Session open(String repository) {
    Path folder = persistent ? folder(repository) : directory;
    Path lockFile = persistent ? folder.resolve("lock") : directory.resolve(repository.replace(':', '_').replace('/', '_') + ".lock");
    Path stateFile = folder.resolve("state.json.gz");
    FileChannel channel;
    FileLock lock;
    try {
      Files.createDirectories(lockFile.getParent());
      channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use the GC state directory " + lockFile.getParent() + ": " + e.getMessage()
          + "; pass --state-dir DIR or --no-state", e);
    }
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException | IOException e) {
      lock = null;
    }
    if (lock == null) {
      String holder = holder(lockFile);
      close(channel);
      throw new RepositoryBusyException("another buildcache gc is working on " + repository + holder
          + " (lock " + lockFile + "); try again when it has finished");
    }
    try {
      channel.truncate(0);
      channel.write(java.nio.ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + " since " + Instant.now() + "\n")
          .getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      // the lock holds; the note in it is only for the message above
    }
    RepositoryState state = new RepositoryState();
    String problem = null;
    if (persistent && Files.exists(stateFile)) {
      try {
        read(stateFile, repository, state);
      } catch (IOException | RuntimeException e) {
        state = new RepositoryState();
        Path aside = folder.resolve("state.json.gz.unreadable");
        problem = "the GC state " + stateFile + " could not be read (" + e.getMessage() + "); it was moved to " + aside
            + " and this run starts with nothing remembered, which keeps caches";
        try {
          Files.move(stateFile, aside, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException moveFailed) {
          // the next save replaces it anyway
        }
      }
    }
    RepositoryState opened = state;
    boolean empty = state.isEmpty();
    String unreadable = problem;
    FileLock held = lock;
    return new Session() {
      @Override
      public RepositoryState state() {
        return opened;
      }

      @Override
      public void save() {
        if (!persistent) {
          return;
        }
        try {
          Files.createDirectories(folder);
          Path temp = Files.createTempFile(folder, "state", ".tmp");
          try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(temp))) {
            write(out, repository, opened);
          }
          try {
            Files.move(temp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, stateFile, StandardCopyOption.REPLACE_EXISTING);
          }
        } catch (IOException e) {
          throw new UncheckedIOException("cannot write the GC state " + stateFile + ": " + e.getMessage(), e);
        }
      }

      @Override
      public String location() {
        return persistent ? stateFile.toString() : "none";
      }

      @Override
      public boolean startedEmpty() {
        return empty;
      }

      @Override
      public String problem() {
        return unreadable;
      }

      @Override
      public void close() {
        try {
          held.release();
        } catch (IOException e) {
          // closing the channel releases it too
        }
        FileGcStateStore.close(channel);
      }
    };
  }

  private static String holder(Path lockFile) {
    try {
      String text = Files.readString(lockFile).trim();
      return text.isEmpty() ? "" : " (" + text + ")";
    } catch (IOException e) {
      return "";
    }
  }

  private static void close(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  static void write(OutputStream out, String repository, RepositoryState state) throws IOException {
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("version", VERSION);
      g.writeStringField("repository", repository);
      Map<String, Integer> ids = new HashMap<>();
      g.writeArrayFieldStart("blobs");
      for (ManifestFacts facts : state.manifests.values()) {
        for (Blob blob : facts.blobs()) {
          String digest = blob.digest();
          if (!ids.containsKey(digest + "@" + blob.size())) {
            ids.put(digest + "@" + blob.size(), ids.size());
            g.writeStartArray();
            g.writeString(digest);
            g.writeNumber(blob.size());
            g.writeEndArray();
          }
        }
      }
      g.writeEndArray();
      g.writeArrayFieldStart("manifests");
      for (Map.Entry<String, ManifestFacts> e : state.manifests.entrySet()) {
        ManifestFacts f = e.getValue();
        g.writeStartArray();
        g.writeString(e.getKey());
        g.writeString(f.mediaType());
        g.writeBoolean(f.cache());
        g.writeNumber(f.size());
        g.writeStartArray();
        for (Blob blob : f.blobs()) {
          g.writeNumber(ids.get(blob.digest() + "@" + blob.size()));
        }
        g.writeEndArray();
        g.writeStartArray();
        for (String child : f.children()) {
          g.writeString(child);
        }
        g.writeEndArray();
        g.writeEndArray();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("reads");
      for (Map.Entry<String, RepositoryState.OwnRead> e : state.reads.entrySet()) {
        g.writeStartArray();
        g.writeString(e.getKey());
        g.writeString(e.getValue().from().toString());
        g.writeString(e.getValue().to().toString());
        if (e.getValue().pullBefore() == null) {
          g.writeNull();
        } else {
          g.writeString(e.getValue().pullBefore().toString());
        }
        g.writeEndArray();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("sightings");
      for (Map.Entry<String, RepositoryState.Sighting> e : state.sightings.entrySet()) {
        g.writeStartArray();
        g.writeString(e.getKey());
        g.writeString(e.getValue().digest());
        g.writeString(e.getValue().since().toString());
        g.writeEndArray();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
  }

  static void read(Path file, String repository, RepositoryState state) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file)); JsonParser p = JSON.createParser(in)) {
      expect(p.nextToken(), JsonToken.START_OBJECT);
      List<Blob> blobs = new ArrayList<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "version" -> {
            if (p.getIntValue() != VERSION) {
              throw new IOException("version " + p.getIntValue() + ", this buildcache reads version " + VERSION);
            }
          }
          case "repository" -> {
            if (!repository.equals(p.getText())) {
              throw new IOException("it is the state of " + p.getText());
            }
          }
          case "blobs" -> readArray(p, () -> {
            String digest = text(p);
            long size = number(p);
            blobs.add(new Blob(digest, size));
          });
          case "manifests" -> readArray(p, () -> {
            String digest = text(p);
            String mediaType = text(p);
            expect(p.nextToken(), JsonToken.VALUE_TRUE, JsonToken.VALUE_FALSE);
            boolean cache = p.getBooleanValue();
            long size = number(p);
            List<Blob> refs = new ArrayList<>();
            expect(p.nextToken(), JsonToken.START_ARRAY);
            while (p.nextToken() != JsonToken.END_ARRAY) {
              refs.add(blobs.get(p.getIntValue()));
            }
            List<String> children = new ArrayList<>();
            expect(p.nextToken(), JsonToken.START_ARRAY);
            while (p.nextToken() != JsonToken.END_ARRAY) {
              children.add(p.getText());
            }
            state.manifests.put(digest, new ManifestFacts(mediaType, cache, size, refs, children));
          });
          case "reads" -> readArray(p, () -> {
            String digest = text(p);
            Instant from = Instant.parse(text(p));
            Instant to = Instant.parse(text(p));
            String before = p.nextToken() == JsonToken.VALUE_NULL ? null : p.getText();
            state.reads.put(digest, new RepositoryState.OwnRead(from, to, before == null ? null : Instant.parse(before)));
          });
          case "sightings" -> readArray(p, () -> {
            String tag = text(p);
            String digest = text(p);
            state.sightings.put(tag, new RepositoryState.Sighting(digest, Instant.parse(text(p))));
          });
          default -> p.skipChildren();
        }
      }
    }
  }

  private interface Row {
    void read() throws IOException;
  }

  /** An array of arrays: {@code row} reads one inner array's values. */
  private static void readArray(JsonParser p, Row row) throws IOException {
    expect(p.currentToken(), JsonToken.START_ARRAY);
    while (p.nextToken() == JsonToken.START_ARRAY) {
      row.read();
      expect(p.nextToken(), JsonToken.END_ARRAY);
    }
    expect(p.currentToken(), JsonToken.END_ARRAY);
  }

  private static String text(JsonParser p) throws IOException {
    expect(p.nextToken(), JsonToken.VALUE_STRING);
    return p.getText();
  }

  private static long number(JsonParser p) throws IOException {
    expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT);
    return p.getLongValue();
  }

  private static void expect(JsonToken actual, JsonToken... expected) throws IOException {
    for (JsonToken e : expected) {
      if (actual == e) {
        return;
      }
    }
    throw new IOException("unexpected " + actual);
  }
}
