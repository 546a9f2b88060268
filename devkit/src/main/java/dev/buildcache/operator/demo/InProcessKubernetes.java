package dev.buildcache.operator.demo;

import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.util.HashMap;

/**
 * An in-process Kubernetes API: fabric8's CRUD mock with server-side apply and write counting, for the
 * integration tests and {@code buildcache demo}. No kubelet and no controllers: whoever uses it patches
 * StatefulSet status and creates pods to play them.
 */
public class InProcessKubernetes implements AutoCloseable {
  /** The mock web server logs every request through java.util.logging; held strongly so the level sticks. */
  private static final java.util.logging.Logger MOCK_LOG = quiet("io.fabric8.mockwebserver");

  private final SsaCrudDispatcher dispatcher = new SsaCrudDispatcher();
  private final KubernetesMockServer server;
  private final KubernetesClient client;

  public InProcessKubernetes() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    for (Class<?> kind : new Class<?>[] {BuildkitBuilder.class, CacheProfile.class}) {
      @SuppressWarnings("unchecked")
      CustomResourceDefinitionContext crd = new CustomResourceDefinitionContext.Builder()
          .withGroup(io.fabric8.kubernetes.api.model.HasMetadata.getGroup((Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>) kind))
          .withVersion(io.fabric8.kubernetes.api.model.HasMetadata.getVersion((Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>) kind))
          .withKind(io.fabric8.kubernetes.api.model.HasMetadata.getKind((Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>) kind))
          .withPlural(io.fabric8.kubernetes.api.model.HasMetadata.getPlural((Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>) kind))
          .withScope("Namespaced")
          .withStatusSubresource(true)
          .build();
      server.expectCustomResource(crd);
    }
    try {
      server.init(InetAddress.getLoopbackAddress(), 0);
    } catch (Exception e) {
      throw new IllegalStateException("could not start the in-process Kubernetes API", e);
    }
    client = server.createClient();
    installCustomResourceDefinitions();
  }

  /**
   * Stores the CRDs of {@code crds/} (bundled in this jar), as {@code kubectl apply -k crds/} does on a cluster: the
   * API then admits custom resources against their schema, defaults and CEL rules, and refuses what a real one
   * refuses.
   */
  private void installCustomResourceDefinitions() {
    for (Class<? extends io.fabric8.kubernetes.api.model.HasMetadata> kind : java.util.List.of(BuildkitBuilder.class, CacheProfile.class)) {
      String file = "demo/crds/" + io.fabric8.kubernetes.api.model.HasMetadata.getFullResourceName(kind) + "-v1.yml";
      try (java.io.InputStream in = InProcessKubernetes.class.getClassLoader().getResourceAsStream(file)) {
        if (in == null) {
          throw new IllegalStateException(file + " is missing from the classpath (devkit bundles crds/)");
        }
        client.resource(io.fabric8.kubernetes.client.utils.Serialization.unmarshal(in,
            io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class)).create();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /**
   * Runs {@code writes} while the CRD of {@code kind} is replaced by an older, looser one (its schema keeps any
   * field, checks none), then puts the real one back: the objects written meanwhile are stored as a cluster holds
   * objects from before a CRD upgrade, which the API server never revalidates. From then on their writes are
   * admitted by the real CRD, with ratcheting: an unchanged invalid field does not block a status write. Every
   * client's writes in the meantime (an operator's too) meet the older CRD, as they would on a cluster.
   */
  public void underOlderCrd(Class<? extends io.fabric8.kubernetes.api.model.HasMetadata> kind, Runnable writes) {
    var crds = client.apiextensions().v1().customResourceDefinitions();
    String name = io.fabric8.kubernetes.api.model.HasMetadata.getFullResourceName(kind);
    io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition installed = crds.withName(name).get();
    io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition older =
        io.fabric8.kubernetes.client.utils.Serialization.clone(installed);
    for (var version : older.getSpec().getVersions()) {
      version.getSchema().setOpenAPIV3Schema(new io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder()
          .withType("object").withXKubernetesPreserveUnknownFields(true).build());
    }
    crds.resource(older).update();
    try {
      writes.run();
    } finally {
      io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition current = crds.withName(name).get();
      current.setSpec(installed.getSpec());
      crds.resource(current).update();
    }
  }

  private static java.util.logging.Logger quiet(String name) {
    java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
    logger.setLevel(java.util.logging.Level.WARNING);
    return logger;
  }

  public KubernetesClient client() {
    return client;
  }

  /** Another client of this API server, identified by its User-Agent in {@link SsaCrudDispatcher#requests()}. */
  public KubernetesClient newClient(String userAgent) {
    return new io.fabric8.kubernetes.client.KubernetesClientBuilder()
        .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration()).withUserAgent(userAgent).build())
        .build();
  }

  /**
   * A client that authenticates as a ServiceAccount (a bearer token, as in a pod): the API authorizes its requests
   * with the RBAC objects it stores, and refuses the rest with the real 403.
   */
  public KubernetesClient serviceAccountClient(String namespace, String name, String userAgent) {
    String token = dispatcher.serviceAccountToken(namespace, name);
    // configured as the operator configures its own (it is the operator's identity)
    return dev.buildcache.operator.runtime.OperatorClient.create(new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration())
        .withUserAgent(userAgent).withOauthToken(token).build());
  }

  /** Creates the objects given as parsed YAML/JSON (e.g. the RBAC of deploy/base) that do not exist yet. */
  public void createMissing(java.util.List<com.fasterxml.jackson.databind.JsonNode> objects) {
    for (com.fasterxml.jackson.databind.JsonNode object : objects) {
      io.fabric8.kubernetes.api.model.GenericKubernetesResource resource = io.fabric8.kubernetes.client.utils.Serialization
          .jsonMapper().convertValue(object, io.fabric8.kubernetes.api.model.GenericKubernetesResource.class);
      if (client.resource(resource).get() == null) {
        client.resource(resource).create();
      }
    }
  }

  /** Base URL of the API server, for a kubeconfig used by an operator in another process. */
  public String url() {
    return client.getMasterUrl().toString();
  }

  public SsaCrudDispatcher dispatcher() {
    return dispatcher;
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
