package dev.buildcache.operator.tls;

/** Why a certificate must be (re-)issued: a PascalCase code and one human line. */
public record RenewalReason(String code, String message) {}
