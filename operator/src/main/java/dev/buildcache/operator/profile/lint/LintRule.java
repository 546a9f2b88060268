package dev.buildcache.operator.profile.lint;

import java.util.List;

/** A pure check of one plugin step, in the manner of cert-manager's policy checks. */
@FunctionalInterface
public interface LintRule {
  List<LintFinding> check(PluginStep step);
}
