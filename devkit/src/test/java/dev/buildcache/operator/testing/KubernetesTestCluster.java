package dev.buildcache.operator.testing;

import dev.buildcache.operator.demo.InProcessKubernetes;

/** The in-process Kubernetes API of the integration tests (the demo runs the same one). */
public final class KubernetesTestCluster extends InProcessKubernetes {}
