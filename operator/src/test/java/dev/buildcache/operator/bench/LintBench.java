package dev.buildcache.operator.bench;

import dev.buildcache.operator.profile.lint.PipelineLinter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Writes a pipeline of N docker-compose steps (a mistake in every third) and times linting it in-process. */
public final class LintBench {
  public static void main(String[] args) throws Exception {
    int steps = Integer.parseInt(args[0]);
    int runs = Integer.parseInt(args[1]);
    Path out = Path.of(args[2]);
    StringBuilder yaml = new StringBuilder("steps:\n");
    String ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app";
    for (int i = 0; i < steps; i++) {
      String compression = i % 3 == 0 ? "ztsd" : "zstd";
      yaml.append("  - label: \"Build service ").append(i).append("\"\n")
          .append("    plugins:\n      - docker-compose#v5.10.0:\n")
          .append("          build: svc").append(i).append('\n')
          .append("          builder: {name: shared, use: true, create: true, driver: remote, remote-address: \"tcp://shared.buildkite.svc:1234\"}\n")
          .append("          cache-from: [\"svc").append(i).append(':').append(ecr).append("-cache:cache-main\"]\n")
          .append("          cache-to: \"svc").append(i).append(":type=registry,ref=").append(ecr)
          .append("-cache:cache-b").append(i).append(",mode=max,image-manifest=true,oci-mediatypes=true,compression=").append(compression).append("\"\n")
          .append("          push: \"svc").append(i).append(':').append(ecr).append(":v").append(i).append("\"\n");
    }
    Files.writeString(out, yaml);
    List<Double> ms = new ArrayList<>();
    PipelineLinter.Result result = null;
    for (int r = 0; r < runs + 1; r++) {
      long start = System.nanoTime();
      result = PipelineLinter.lint(Files.readString(out));
      if (r > 0) {
        ms.add((System.nanoTime() - start) / 1e6);
      }
    }
    Collections.sort(ms);
    System.out.printf(Locale.ROOT, "lint %d steps in-process (warm): median %.1f ms over %d runs %s; %d findings%n",
        result.pluginSteps(), ms.get(ms.size() / 2), runs, ms, result.findings().size());
  }
}
