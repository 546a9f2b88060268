package dev.buildcache.operator.bench;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileStatus;
import dev.buildcache.operator.demo.SsaCrudDispatcher;
import dev.buildcache.operator.testing.KubernetesTestCluster;
import dev.buildcache.operator.testing.TestProfiles;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The in-process API server's own cost per request, by kind of request, with {@code stored} profiles in it: a GET
 * of one object, a server-side apply of a status, and a create. One client, one request at a time, so the figures
 * are the server's time (its dispatch, measured inside it) and the round trip as a client sees it.
 * Run: {@code bench/in-process-api.sh [stored] [requests] [runs]}.
 */
public final class InProcessApiBench {
  public static void main(String[] args) {
    int stored = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int requests = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    for (int run = 1; run <= runs; run++) {
      try (KubernetesTestCluster cluster = new KubernetesTestCluster()) {
        KubernetesClient client = cluster.client();
        for (int i = 0; i < stored; i++) {
          client.resource(TestProfiles.profile("stored-" + i, s -> {})).create();
        }
        CacheProfile target = client.resource(TestProfiles.profile("target", s -> {})).create();
        List<String> lines = new ArrayList<>();
        lines.add(measure(cluster, "GET one object", requests, i ->
            client.resources(CacheProfile.class).inNamespace(target.getMetadata().getNamespace()).withName("target").get()));
        lines.add(measure(cluster, "apply status", requests, i -> {
          CacheProfile patch = new CacheProfile();
          patch.setMetadata(new ObjectMetaBuilder().withName("target").withNamespace(target.getMetadata().getNamespace()).build());
          patch.setSpec(null);
          CacheProfileStatus status = new CacheProfileStatus();
          status.setAssignedReplica("shared-" + (i % 3));
          patch.setStatus(status);
          client.resource(patch).subresource("status").patch(new PatchContext.Builder()
              .withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager("bench").withForce(true).build());
        }));
        lines.add(measure(cluster, "create", requests, i -> client.resource(TestProfiles.profile("created-" + i, s -> {})).create()));
        int n = run;
        lines.forEach(l -> System.out.printf(Locale.ROOT, "run %d, %d stored: %s%n", n, stored, l));
      }
    }
  }

  interface Request {
    void send(int i);
  }

  static String measure(KubernetesTestCluster cluster, String what, int requests, Request request) {
    for (int i = 0; i < Math.min(50, requests); i++) {
      request.send(requests + i); // warm-up, with its own numbers
    }
    SsaCrudDispatcher.Cost before = cluster.dispatcher().cost();
    long start = System.nanoTime();
    for (int i = 0; i < requests; i++) {
      request.send(i);
    }
    double roundTripUs = (System.nanoTime() - start) / 1e3 / requests;
    SsaCrudDispatcher.Cost after = cluster.dispatcher().cost();
    double serverUs = (after.nanos() - before.nanos()) / 1e3 / Math.max(1, after.requests() - before.requests());
    return String.format(Locale.ROOT, "%-15s server %6.0f us, round trip %6.0f us", what, serverUs, roundTripUs);
  }
}
