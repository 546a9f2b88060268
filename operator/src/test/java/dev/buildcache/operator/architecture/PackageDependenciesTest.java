package dev.buildcache.operator.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package graph of the main sources, read from the source text (imports and fully-qualified uses alike): no
 * cycles between packages, and the controller kernel depends on no controller.
 */
class PackageDependenciesTest {
  static final Path MAIN = Path.of("src/main/java");
  static final String ROOT = "dev.buildcache.operator";
  static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
  static final Pattern REFERENCE = Pattern.compile("\\b(dev\\.buildcache\\.operator(?:\\.[a-z][a-z0-9]*)+)\\.[A-Z]");

  static Map<String, Set<String>> graph() {
    Map<String, Set<String>> graph = new TreeMap<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String source = Files.readString(file);
        Matcher pkg = PACKAGE.matcher(source);
        if (!pkg.find()) {
          continue;
        }
        String from = pkg.group(1);
        Set<String> targets = graph.computeIfAbsent(from, k -> new TreeSet<>());
        Matcher ref = REFERENCE.matcher(source.substring(pkg.end()));
        while (ref.find()) {
          if (!ref.group(1).equals(from)) {
            targets.add(ref.group(1));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // references to a package we do not have (a class nested in a class) resolve to the longest known prefix
    Map<String, Set<String>> resolved = new TreeMap<>();
    graph.forEach((from, targets) -> {
      Set<String> known = new TreeSet<>();
      for (String target : targets) {
        String t = target;
        while (!graph.containsKey(t) && t.contains(".")) {
          t = t.substring(0, t.lastIndexOf('.'));
        }
        if (graph.containsKey(t) && !t.equals(from)) {
          known.add(t);
        }
      }
      resolved.put(from, known);
    });
    return resolved;
  }

  @Test
  void noPackageCycles() {
    Map<String, Set<String>> graph = graph();
    assertThat(graph).containsKeys(ROOT + ".kernel", ROOT + ".builder", ROOT + ".profile", ROOT + ".gc", ROOT + ".registry");
    assertThat(stronglyConnected(graph)).as("package cycles").isEmpty();
  }

  @Test
  void theKernelDependsOnNoController() {
    Map<String, Set<String>> graph = graph();
    graph.forEach((from, targets) -> {
      if (from.startsWith(ROOT + ".kernel")) {
        assertThat(targets).as("dependencies of %s", from)
            .noneMatch(t -> t.startsWith(ROOT + ".builder") || t.startsWith(ROOT + ".profile")
                || t.startsWith(ROOT + ".runtime") || t.startsWith(ROOT + ".cli"));
      }
    });
  }

  /**
   * The GC speaks to registries only through the port ({@code registry}: {@code RegistryClient} and the value types
   * it returns); the adapters ({@code registry.ecr}, {@code registry.oci}) implement it and know nothing of the GC.
   * Choosing an adapter is wiring, done by the CLI and the profile controller.
   */
  @Test
  void theGcUsesTheRegistryPortAndNoAdapter() {
    Map<String, Set<String>> graph = graph();
    assertThat(graph.get(ROOT + ".gc")).as("dependencies of gc")
        .contains(ROOT + ".registry")
        .noneMatch(t -> t.startsWith(ROOT + ".registry."));
    graph.forEach((from, targets) -> {
      if (from.startsWith(ROOT + ".registry")) {
        assertThat(targets).as("dependencies of %s", from).noneMatch(t -> t.startsWith(ROOT + ".gc"));
      }
      if (from.equals(ROOT + ".registry")) {
        assertThat(targets).as("the port depends on no adapter").noneMatch(t -> t.startsWith(ROOT + ".registry."));
      }
    });
  }

  /** Tarjan's algorithm: every component of more than one package is a cycle. */
  static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<Set<String>> cycles = new ArrayList<>();
    int[] counter = {0};
    for (String node : graph.keySet()) {
      if (!index.containsKey(node)) {
        connect(node, graph, index, low, stack, onStack, cycles, counter);
      }
    }
    return cycles;
  }

  private static void connect(String node, Map<String, Set<String>> graph, Map<String, Integer> index,
      Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<Set<String>> cycles, int[] counter) {
    index.put(node, counter[0]);
    low.put(node, counter[0]++);
    stack.push(node);
    onStack.add(node);
    for (String next : graph.getOrDefault(node, Set.of())) {
      if (!index.containsKey(next)) {
        connect(next, graph, index, low, stack, onStack, cycles, counter);
        low.put(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.contains(next)) {
        low.put(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node).equals(index.get(node))) {
      Set<String> component = new TreeSet<>();
      String member;
      do {
        member = stack.pop();
        onStack.remove(member);
        component.add(member);
      } while (!member.equals(node));
      if (component.size() > 1) {
        cycles.add(component);
      }
    }
  }
}
