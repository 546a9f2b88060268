package dev.buildcache.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildcache.operator.cli.BuildcacheCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/** Runs {@code buildcache} in-process, as a user would from a shell, and captures what it prints. */
public final class Cli {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Cli() {}

  public record Result(int exit, String out, String err) {
    public JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + out + err, e);
      }
    }
  }

  public static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cmd = BuildcacheCommand.newCommandLine();
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    int exit = cmd.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }
}
