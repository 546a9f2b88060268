package dev.buildcache.operator.profile.lint;

public enum Severity { ERROR, WARNING }
