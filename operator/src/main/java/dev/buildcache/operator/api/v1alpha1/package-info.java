/**
 * Custom resource types of the {@code buildcache.dev/v1alpha1} API. Plain data with schema annotations; no logic.
 * Java field initialisers mirror the CRD defaults so that objects read from an API server that did not default them
 * (tests, older CRDs) behave the same.
 */
package dev.buildcache.operator.api.v1alpha1;
