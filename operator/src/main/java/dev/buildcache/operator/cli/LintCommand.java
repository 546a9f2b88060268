package dev.buildcache.operator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.buildcache.operator.profile.lint.LintFinding;
import dev.buildcache.operator.profile.lint.PipelineLinter;
import dev.buildcache.operator.profile.lint.Severity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "lint", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
    description = {
        "Check the docker-compose plugin steps of a Buildkite pipeline for the classic BuildKit cache mistakes.",
        "",
        "Exit codes: 0 no errors (warnings allowed), 1 at least one error, 2 usage error."})
public final class LintCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "PIPELINE.yml", description = "Buildkite pipeline file; - reads it from standard input "
      + "(e.g. a generated pipeline: ./pipeline.sh | buildcache lint -).")
  Path pipeline;

  @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json (default ${DEFAULT-VALUE}).")
  String output;

  @Override
  public Integer call() throws IOException {
    if (!List.of("text", "json").contains(output)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--output: '" + output + "' is not a format; use text or json");
    }
    boolean stdin = "-".equals(pipeline.toString());
    if (!stdin && !Files.isReadable(pipeline)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "PIPELINE.yml: cannot read " + pipeline);
    }
    String name = stdin ? "<stdin>" : pipeline.toString();
    PipelineLinter.Result result;
    try {
      result = PipelineLinter.lint(stdin ? new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
          : Files.readString(pipeline));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "PIPELINE.yml: " + name + " is " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    if ("json".equals(output)) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("pipeline", name);
      json.put("pluginSteps", result.pluginSteps());
      json.put("errors", result.findings().stream().filter(f -> f.severity() == Severity.ERROR).count());
      json.put("warnings", result.findings().stream().filter(f -> f.severity() == Severity.WARNING).count());
      json.put("findings", result.findings());
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json));
    } else {
      for (LintFinding f : result.findings()) {
        out.printf("%s: step '%s', %s: %s: %s%n    fix: %s%n", name, f.step(), f.key(), f.severity().name().toLowerCase(),
            f.message(), f.fix());
      }
      long errors = result.findings().stream().filter(f -> f.severity() == Severity.ERROR).count();
      out.printf("%d docker-compose plugin steps checked: %d errors, %d warnings%n", result.pluginSteps(), errors,
          result.findings().size() - errors);
    }
    out.flush();
    return result.hasErrors() ? 1 : 0;
  }
}
