package dev.buildcache.operator.demo;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileSpec;
import dev.buildcache.operator.api.v1alpha1.CacheProfileStatus;
import dev.buildcache.operator.builder.desired.BuilderLabels;
import dev.buildcache.operator.gc.state.GcStateStore;
import dev.buildcache.operator.gc.state.InMemoryGcStateStore;
import dev.buildcache.operator.profile.GcSchedulePlanner;
import dev.buildcache.operator.registry.RepositoryReference;
import dev.buildcache.operator.registry.oci.DockerCredentials;
import dev.buildcache.operator.registry.oci.OciRegistryClient;
import dev.buildcache.operator.runtime.OperatorRuntime;
import dev.buildcache.operator.units.Quantities;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code buildcache demo}: the real operator against an in-process Kubernetes API loaded with deploy/samples,
 * builder pods played by the demo, and a real local registry seeded with a cache history, then one GC run. It
 * prints what a user would look at. Everything runs on this machine and stops when the demo ends.
 */
public final class Demo {
  static final List<String> SAMPLES = List.of("buildkitbuilder.yaml", "cacheprofile-ecr.yaml", "cacheprofile-oci.yaml");
  static final Duration WAIT = Duration.ofSeconds(60);

  private final PrintWriter out;
  private final Path samplesDir;
  private final Clock clock;

  /** @param samplesDir deploy/samples to load, or null for the copy inside the jar */
  public Demo(PrintWriter out, Path samplesDir, Clock clock) {
    this.out = out;
    this.samplesDir = samplesDir;
    this.clock = clock;
  }

  public int run() throws Exception {
    long started = System.nanoTime();
    out.println("buildcache demo -- LOCAL DEMO: an in-process Kubernetes API and a registry on 127.0.0.1.");
    out.println("No cluster, no cloud account; nothing leaves this machine and everything stops when the demo ends.");
    out.println();
    List<HasMetadata> samples = loadSamples();
    boolean registryAvailable = LocalRegistry.installed();
    try (InProcessKubernetes kubernetes = new InProcessKubernetes();
         LocalRegistry registry = registryAvailable ? new LocalRegistry() : null) {
      KubernetesClient client = kubernetes.client();
      BuildkitBuilder builder = (BuildkitBuilder) samples.stream().filter(s -> s instanceof BuildkitBuilder).findFirst().orElseThrow();
      String ns = builder.getMetadata().getNamespace();
      CacheProfile gcTarget = null;

      step("1. Applying deploy/samples" + (samplesDir == null ? " (the copy inside the jar)" : " from " + samplesDir));
      for (HasMetadata sample : samples) {
        if (sample instanceof CacheProfile p && p.getSpec().getRegistry().getType() == CacheProfileSpec.RegistryType.OCI && registry != null) {
          // The OCI sample's repository, here on the local registry; its credentials Secret is created too.
          String repository = registry.host() + "/" + RepositoryReference.parse(p.getSpec().getRepository()).name();
          out.printf("   %s/%s: repository %s -> %s (the local registry), dryRun %s -> false%n", ns, p.getMetadata().getName(),
              p.getSpec().getRepository(), repository, p.getSpec().getDryRun());
          p.getSpec().setRepository(repository);
          p.getSpec().getRegistry().setInsecure(true);
          p.getSpec().setDryRun(false);
          if (p.getSpec().getRegistry().getCredentialsSecret() != null) {
            client.resource(dockerConfigSecret(ns, p.getSpec().getRegistry().getCredentialsSecret(), registry.host())).create();
          }
          gcTarget = p;
        }
        client.resource(sample).create();
        out.printf("   created %s %s/%s%n", sample.getKind(), ns, sample.getMetadata().getName());
      }

      CacheHistory.Seeded seeded = null;
      if (gcTarget != null) {
        String prefix = gcTarget.getSpec().getCache().getTagTemplate().replace("{branch}", "");
        String repo = RepositoryReference.parse(gcTarget.getSpec().getRepository()).name();
        seeded = CacheHistory.seed(new OciPusher(registry.url(), repo), prefix, clock.instant());
        out.printf("   seeded %s with %d cache manifests and %d release image (%s of layers): branches of different ages,%n"
            + "   a moved tag, shared base layers, a cache also tagged 'latest', a release image under %sv1%n",
            gcTarget.getSpec().getRepository(), seeded.cacheManifests(), seeded.images(), Quantities.humanBytes(seeded.uniqueLayerBytes()), prefix);
      }

      // An OCI registry records no push or pull times: the GC's age is how long it has seen each tag at its digest,
      // and on first sight nothing is old. The demo's operator remembers the seeded history as if it had watched it.
      InMemoryGcStateStore gcState = new InMemoryGcStateStore();
      if (seeded != null) {
        try (GcStateStore.Session session = gcState.open(RepositoryReference.parse(gcTarget.getSpec().getRepository()).toString())) {
          session.state().replaceSightings(seeded.sightings());
        }
        out.println("   the operator's GC memory is given the history's push times, as if it had watched these weeks: an OCI");
        out.println("   registry records no times, so the GC ages a cache from when it first sees its tag at its digest");
      }

      step("2. Starting the real operator (buildcache run) against it");
      OperatorRuntime operator = new OperatorRuntime(client, new SimpleMeterRegistry(), clock,
          OperatorRuntime.Settings.defaults().withGcState(gcState));
      operator.start();
      try {
        int replicas = builder.getSpec().getReplicas();
        waitFor(() -> client.apps().statefulSets().inNamespace(ns).withName(builder.getMetadata().getName()).get() != null);
        playKubelet(client, ns, builder.getMetadata().getName(), replicas);
        out.printf("   (simulated) the StatefulSet controller and kubelet: %d buildkitd pods Ready%n", replicas);
        waitFor(() -> allReady(client, ns));

        step("3. What the operator created");
        printOwnedObjects(client, ns, builder.getMetadata().getName());
        BuildkitBuilder b = client.resources(BuildkitBuilder.class).inNamespace(ns).withName(builder.getMetadata().getName()).get();
        out.printf("   BuildkitBuilder %s: Ready, endpoint %s, profiles per replica %s%n", b.getMetadata().getName(),
            b.getStatus().getEndpoint(), b.getStatus().getProfilesPerReplica());

        step("4. What a pipeline uses (kubectl get cachep <name> -o yaml, .status)");
        for (CacheProfile p : client.resources(CacheProfile.class).inNamespace(ns).list().getItems()) {
          CacheProfileStatus s = p.getStatus();
          out.printf("   CacheProfile %s -> replica %s%n", p.getMetadata().getName(), s.getAssignedReplica());
          out.printf("     remote-address: %s%n", s.getEndpoint());
          out.printf("     cache-from:     %s%n", String.join("\n                     ", s.getCacheFrom()));
          out.printf("     cache-to:       %s%n", s.getCacheTo());
        }
        if (gcTarget != null) {
          out.printf("%n   The plugin step for %s (status.agentConfig):%n", gcTarget.getMetadata().getName());
          client.resources(CacheProfile.class).inNamespace(ns).withName(gcTarget.getMetadata().getName()).get()
              .getStatus().getAgentConfig().lines().forEach(l -> out.println("     " + l));
        }

        if (gcTarget != null) {
          gc(client, registry, ns, gcTarget);
        } else {
          step("5. Registry cache GC: skipped");
          out.println("   docker-registry is not installed, so there is no local registry to clean. ./scripts/demo installs it");
          out.println("   (Debian: apt-get install docker-registry).");
        }
      } finally {
        operator.close();
      }
    }
    step("Try next");
    out.println("   On a cluster:    kubectl apply -k deploy/base && kubectl create namespace buildkite && kubectl apply -k deploy/samples");
    out.println("                    (on EKS: kubectl apply -k deploy/eks; see docs/getting-started.md)");
    out.println("   Watch it:        kubectl -n buildkite get bkb,cachep");
    out.println("   GC now:          kubectl -n buildkite annotate cachep app buildcache.dev/gc-now=\"$(date -u +%FT%TZ)\" --overwrite");
    out.println("   Lint a pipeline: java -jar operator/target/buildcache.jar lint .buildkite/pipeline.yml");
    out.println("   One-off GC:      java -jar operator/target/buildcache.jar gc --repository <repo> --max-age 14d --dry-run");
    out.printf(Locale.ROOT, "%nDemo finished in %.1f s.%n", (System.nanoTime() - started) / 1e9);
    out.flush();
    return 0;
  }

  private void gc(KubernetesClient client, LocalRegistry registry, String ns, CacheProfile target) throws Exception {
    String name = target.getMetadata().getName();
    RepositoryReference ref = RepositoryReference.parse(target.getSpec().getRepository());
    step("5. Registry cache GC of " + name + " (kubectl annotate cachep " + name + " buildcache.dev/gc-now=...)");
    out.printf("   policy: tags %s are cache, protect %s, maxAge %s, maxTotalSize %s%n",
        target.getSpec().getRetention().getTagPatterns(), target.getSpec().getRetention().getProtectTags(),
        target.getSpec().getRetention().getMaxAge(), target.getSpec().getRetention().getMaxTotalSize());
    List<String> tagsBefore = tags(ref);
    long blobsBefore = registry.blobBytes();
    client.resources(CacheProfile.class).inNamespace(ns).withName(name).edit(p -> {
      Map<String, String> annotations = p.getMetadata().getAnnotations() == null ? new HashMap<>() : p.getMetadata().getAnnotations();
      annotations.put(GcSchedulePlanner.GC_NOW_ANNOTATION, Instant.now(clock).toString());
      p.getMetadata().setAnnotations(annotations);
      return p;
    });
    waitFor(() -> {
      CacheProfile p = client.resources(CacheProfile.class).inNamespace(ns).withName(name).get();
      return p.getStatus() != null && p.getStatus().getLastGc() != null;
    });
    CacheProfile after = client.resources(CacheProfile.class).inNamespace(ns).withName(name).get();
    CacheProfileStatus.GcRunStatus gc = after.getStatus().getLastGc();
    List<String> tagsAfter = tags(ref);
    out.printf("   result:    %s (%s)%n", gc.getResult(), gc.getMessage());
    out.printf("   scanned %d images, %d of them BuildKit cache; deleted %d%n", gc.getScannedImages(), gc.getCacheImages(), gc.getDeletedImages());
    out.printf("   cache bytes (unique): before %s, after %s, reclaimed %s%n", Quantities.humanBytes(gc.getBytesBefore()),
        Quantities.humanBytes(gc.getBytesAfter()), Quantities.humanBytes(gc.getReclaimedBytes()));
    List<String> gone = new ArrayList<>(tagsBefore);
    gone.removeAll(tagsAfter);
    out.printf("   tags before: %s%n   tags after:  %s%n   deleted:     %s%n", tagsBefore, tagsAfter, gone);
    out.printf("   kept: %sv1 is a release image, 'latest' protects the spike cache, %s is protected, young caches were%n"
        + "   re-pushed within maxAge%n", target.getSpec().getCache().getTagTemplate().replace("{branch}", ""),
        target.getSpec().getRetention().getProtectTags());
    out.printf("   status: GcSucceeded=%s, an Event %s, metrics buildcache_gc_runs_total / buildcache_cache_bytes%n",
        Conditions.find(after.getStatus().getConditions(), ConditionType.GC_SUCCEEDED).map(c -> c.getStatus()).orElse("?"),
        client.v1().events().inNamespace(ns).list().getItems().stream()
            .filter(e -> name.equals(e.getInvolvedObject().getName()) && e.getReason().startsWith("Gc")).map(e -> e.getReason()).findFirst().orElse("-"));
    registry.garbageCollect(true);
    out.printf("   the registry's own garbage-collect --delete-untagged then frees the blobs: stored %s -> %s%n",
        Quantities.humanBytes(blobsBefore), Quantities.humanBytes(registry.blobBytes()));
    out.println("   (more than the GC reclaimed: the OCI API cannot list untagged manifests, such as the moved feature-payments");
    out.println("   tag's first one, which --delete-untagged removes. ECR lists them; the operator deletes them after untaggedAfter.)");
  }

  private List<String> tags(RepositoryReference ref) {
    try (OciRegistryClient c = new OciRegistryClient(ref, true, DockerCredentials.none())) {
      return c.list().images().stream().flatMap(i -> i.tags().stream()).sorted().toList();
    }
  }

  private void step(String title) {
    out.println();
    out.println("== " + title);
    out.flush();
  }

  private boolean allReady(KubernetesClient client, String ns) {
    boolean builders = client.resources(BuildkitBuilder.class).inNamespace(ns).list().getItems().stream()
        .allMatch(b -> b.getStatus() != null && Conditions.isTrue(b.getStatus().getConditions(), ConditionType.READY)
            && b.getStatus().getProfilesPerReplica() != null
            && b.getStatus().getProfilesPerReplica().values().stream().mapToInt(Integer::intValue).sum()
                == client.resources(CacheProfile.class).inNamespace(ns).list().getItems().size());
    boolean profiles = client.resources(CacheProfile.class).inNamespace(ns).list().getItems().stream()
        .allMatch(p -> p.getStatus() != null && Conditions.isTrue(p.getStatus().getConditions(), ConditionType.READY));
    return builders && profiles;
  }

  private void printOwnedObjects(KubernetesClient client, String ns, String builder) {
    List<HasMetadata> owned = new ArrayList<>();
    owned.addAll(client.secrets().inNamespace(ns).withLabel(BuilderLabels.MANAGED_BY_KEY, BuilderLabels.MANAGED_BY_VALUE).list().getItems());
    owned.addAll(client.configMaps().inNamespace(ns).withLabel(BuilderLabels.MANAGED_BY_KEY, BuilderLabels.MANAGED_BY_VALUE).list().getItems());
    owned.addAll(client.services().inNamespace(ns).withLabel(BuilderLabels.MANAGED_BY_KEY, BuilderLabels.MANAGED_BY_VALUE).list().getItems());
    owned.addAll(client.apps().statefulSets().inNamespace(ns).withLabel(BuilderLabels.MANAGED_BY_KEY, BuilderLabels.MANAGED_BY_VALUE).list().getItems());
    owned.addAll(client.policy().v1().podDisruptionBudget().inNamespace(ns).withLabel(BuilderLabels.MANAGED_BY_KEY, BuilderLabels.MANAGED_BY_VALUE).list().getItems());
    owned.addAll(client.network().v1().networkPolicies().inNamespace(ns).withLabel(BuilderLabels.MANAGED_BY_KEY, BuilderLabels.MANAGED_BY_VALUE).list().getItems());
    for (HasMetadata o : owned) {
      String owner = o.getMetadata().getOwnerReferences().isEmpty() ? "-" : o.getMetadata().getOwnerReferences().get(0).getKind()
          + "/" + o.getMetadata().getOwnerReferences().get(0).getName();
      String note = o instanceof io.fabric8.kubernetes.api.model.Service s && s.getSpec().getSelector() != null
          && s.getSpec().getSelector().containsKey(BuilderLabels.POD_NAME_KEY)
          ? "  -> pod " + s.getSpec().getSelector().get(BuilderLabels.POD_NAME_KEY) + " (sticky endpoint)" : "";
      out.printf("   %-20s %-26s owned by %s%s%n", o.getKind(), o.getMetadata().getName(), owner, note);
    }
  }

  /** Plays the StatefulSet controller and kubelet: the pods exist and are Ready, and the StatefulSet says so. */
  private static void playKubelet(KubernetesClient client, String ns, String name, int replicas) {
    SimulatedKubelet.createReadyPods(client, ns, name, replicas);
    SimulatedKubelet.markStatefulSetReady(client, ns, name, replicas);
  }

  private static io.fabric8.kubernetes.api.model.Secret dockerConfigSecret(String ns, String name, String host) {
    String auth = Base64.getEncoder().encodeToString("demo:demo".getBytes(StandardCharsets.UTF_8));
    String config = "{\"auths\":{\"" + host + "\":{\"auth\":\"" + auth + "\"}}}";
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
        .withType("kubernetes.io/dockerconfigjson")
        .addToData(".dockerconfigjson", Base64.getEncoder().encodeToString(config.getBytes(StandardCharsets.UTF_8)))
        .build();
  }

  private List<HasMetadata> loadSamples() throws IOException {
    List<HasMetadata> out = new ArrayList<>();
    for (String file : SAMPLES) {
      String yaml;
      if (samplesDir != null) {
        yaml = Files.readString(samplesDir.resolve(file));
      } else {
        try (InputStream in = Demo.class.getResourceAsStream("/demo/samples/" + file)) {
          if (in == null) {
            throw new IOException("demo/samples/" + file + " is missing from the jar");
          }
          yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
      out.add(file.startsWith("buildkitbuilder") ? Serialization.unmarshal(yaml, BuildkitBuilder.class)
          : Serialization.unmarshal(yaml, CacheProfile.class));
    }
    return out;
  }

  private static void waitFor(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the demo timed out after " + WAIT.toSeconds() + " s waiting for the operator");
      }
      Thread.sleep(100);
    }
  }
}
