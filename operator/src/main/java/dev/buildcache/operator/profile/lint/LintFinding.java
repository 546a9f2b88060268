package dev.buildcache.operator.profile.lint;

/** One problem: where (step label, plugin key), how bad, what is wrong and how to fix it. */
public record LintFinding(String step, String key, Severity severity, String rule, String message, String fix) {}
