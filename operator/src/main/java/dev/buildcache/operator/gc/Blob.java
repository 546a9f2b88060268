package dev.buildcache.operator.gc;

/** A content-addressed blob (config, layer) or manifest, as stored once per repository. */
public record Blob(String digest, long size) {}
