package dev.buildcache.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.api.v1alpha1.CacheProfileStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Where the in-process API was shown to answer differently from a real kube-apiserver, it now answers the same; each
 * test cites the behaviour it follows.
 */
class InProcessApiConformanceIT {
  final KubernetesTestCluster cluster = new KubernetesTestCluster();
  final KubernetesClient client = cluster.client();

  @AfterEach
  void close() {
    cluster.close();
  }

  static PatchContext apply() {
    return new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager("test").withForce(true).build();
  }

  CacheProfile statusApply(CacheProfile current, String resourceVersion, String replica) {
    CacheProfile patch = new CacheProfile();
    patch.setMetadata(new ObjectMetaBuilder().withName(current.getMetadata().getName())
        .withNamespace(current.getMetadata().getNamespace()).withResourceVersion(resourceVersion).build());
    patch.setSpec(null);
    CacheProfileStatus status = new CacheProfileStatus();
    status.setAssignedReplica(replica);
    patch.setStatus(status);
    return client.resource(patch).subresource("status").patch(apply());
  }

  /**
   * An apply that names a resourceVersion is a precondition, on the status subresource too: a stale one is 409
   * Conflict "the object has been modified" (apiserver's OptimisticLockErrorMsg; the same for apply as for update).
   */
  /**
   * Server-side apply removes a field its manager applied before and leaves out now, unless another manager applied
   * it too (kubernetes.io/docs/reference/using-api/server-side-apply, "Field management").
   */
  @Test
  void aFieldItsManagerNoLongerAppliesIsRemovedUnlessAnotherOwnsIt() {
    java.util.function.BiConsumer<String, java.util.Map<String, String>> apply = (manager, data) -> client.resource(
        new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withName("owned").withNamespace("default")
            .endMetadata().withData(data).build()).fieldManager(manager).forceConflicts().serverSideApply();
    apply.accept("one", java.util.Map.of("a", "1", "b", "2"));
    apply.accept("two", java.util.Map.of("c", "3"));
    apply.accept("one", java.util.Map.of("a", "1", "c", "3"));
    apply.accept("one", java.util.Map.of("a", "1"));
    assertThat(client.configMaps().inNamespace("default").withName("owned").get().getData())
        .as("b: applied by one only, then left out; c: applied by two as well").containsOnlyKeys("a", "c");
  }

  /**
   * Every stored object carries metadata.managedFields: an entry per manager, operation and subresource with the
   * fields it owns in FieldsV1; a write that changes another manager's field takes it over; a manager without a
   * fieldManager is named after its User-Agent (kubernetes.io/docs/reference/using-api/server-side-apply,
   * "Field management"). Informer caches hold these entries for every object they keep.
   */
  @Test
  void everyWriteIsRecordedInManagedFields() {
    client.resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withName("owned").withNamespace("default")
        .withLabels(Map.of("app", "x")).endMetadata().withData(Map.of("a", "1", "b", "2")).build())
        .fieldManager("operator").forceConflicts().serverSideApply();
    io.fabric8.kubernetes.api.model.ConfigMap applied = client.configMaps().inNamespace("default").withName("owned").get();
    assertThat(applied.getMetadata().getManagedFields()).singleElement().satisfies(e -> {
      assertThat(e.getManager()).isEqualTo("operator");
      assertThat(e.getOperation()).isEqualTo("Apply");
      assertThat(e.getFieldsType()).isEqualTo("FieldsV1");
      assertThat(e.getSubresource()).isNull();
      assertThat(io.fabric8.kubernetes.client.utils.Serialization.asJson(e.getFieldsV1()))
          .isEqualTo("{\"f:data\":{\"f:a\":{},\"f:b\":{}},\"f:metadata\":{\"f:labels\":{\"f:app\":{}}}}");
    });
    io.fabric8.kubernetes.api.model.ConfigMap edited = client.configMaps().inNamespace("default").withName("owned")
        .edit(cm -> new io.fabric8.kubernetes.api.model.ConfigMapBuilder(cm).addToData("b", "changed").build());
    assertThat(edited.getMetadata().getManagedFields()).as("the answer to a write carries them too").hasSize(2);
    java.util.Map<String, String> owners = new java.util.TreeMap<>();
    client.configMaps().inNamespace("default").withName("owned").get().getMetadata().getManagedFields()
        .forEach(e -> owners.put(e.getManager() + "/" + e.getOperation(), io.fabric8.kubernetes.client.utils.Serialization.asJson(e.getFieldsV1())));
    assertThat(owners).containsOnly(
        Map.entry("operator/Apply", "{\"f:data\":{\"f:a\":{}},\"f:metadata\":{\"f:labels\":{\"f:app\":{}}}}"),
        Map.entry("fabric8-kubernetes-client/Update", "{\"f:data\":{\"f:b\":{}}}"));

    CacheProfile profile = client.resource(TestProfiles.profile("app", s -> {})).create();
    CacheProfile withStatus = statusApply(profile, null, "shared-0");
    assertThat(withStatus.getMetadata().getManagedFields()).anySatisfy(e -> {
      assertThat(e.getManager()).isEqualTo("test");
      assertThat(e.getSubresource()).isEqualTo("status");
      assertThat(io.fabric8.kubernetes.client.utils.Serialization.asJson(e.getFieldsV1())).as("an empty list applied is owned too").isEqualTo("{\"f:status\":{\"f:assignedReplica\":{},\"f:conditions\":{}}}");
    });
  }

  @Test
  void anApplyWithAStaleResourceVersionIsAConflict() {
    CacheProfile created = client.resource(TestProfiles.profile("app", s -> {})).create();
    CacheProfile first = statusApply(created, created.getMetadata().getResourceVersion(), "shared-0");
    assertThat(first.getStatus().getAssignedReplica()).isEqualTo("shared-0");

    assertThatThrownBy(() -> statusApply(created, created.getMetadata().getResourceVersion(), "shared-1"))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(409);
          assertThat(e.getStatus().getReason()).isEqualTo("Conflict");
          assertThat(e.getStatus().getMessage()).isEqualTo("Operation cannot be fulfilled on cacheprofiles.buildcache.dev \"app\": "
              + "the object has been modified; please apply your changes to the latest version and try again");
        });
    assertThat(client.resources(CacheProfile.class).inNamespace(created.getMetadata().getNamespace()).withName("app").get()
        .getStatus().getAssignedReplica()).isEqualTo("shared-0");
    // without a resourceVersion, apply is not optimistic
    assertThat(statusApply(created, null, "shared-2").getStatus().getAssignedReplica()).isEqualTo("shared-2");
  }

  static Stream<Path> invalidManifests() throws IOException {
    return Files.list(Path.of("src/test/resources/crd-invalid")).filter(p -> !p.getFileName().toString().equals("typo-field.yaml"))
        .sorted();
  }

  static GenericKubernetesResource manifest(Path file) throws IOException {
    return io.fabric8.kubernetes.client.utils.Serialization.unmarshal(Files.readString(file), GenericKubernetesResource.class);
  }

  /**
   * A custom resource that breaks its CRD's schema or CEL rules is refused on create with 422 Invalid, a message
   * "KIND.GROUP \"NAME\" is invalid: FIELD: ..." and one cause per field (StatusError of a field.ErrorList), and
   * nothing is stored. The same manifests CrdSchemaTest checks against the files.
   */
  @ParameterizedTest
  @MethodSource("invalidManifests")
  void anInvalidCustomResourceIsRefusedWithTheFieldNamed(Path file) throws IOException {
    String expected = Files.readAllLines(file).get(0).replaceFirst("^# expect: ", "");
    GenericKubernetesResource object = manifest(file);
    String field = expected.substring(0, expected.indexOf(':'));
    assertThatThrownBy(() -> client.resource(object).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getStatus().getReason()).isEqualTo("Invalid");
          assertThat(e.getStatus().getMessage()).startsWith(object.getKind() + ".buildcache.dev \"" + object.getMetadata().getName()
              + "\" is invalid: ").contains(expected);
          assertThat(e.getStatus().getDetails().getKind()).isEqualTo(object.getKind());
          assertThat(e.getStatus().getDetails().getCauses()).extracting(StatusCause::getField).contains(field);
        });
    assertThat(client.resource(object).get()).as("nothing stored").isNull();
  }

  /**
   * Unknown fields: without fieldValidation (fabric8's default) the server prunes them and warns ("Warn", the default
   * since 1.27); with Strict (kubectl's default) it refuses the request with 400 "strict decoding error".
   */
  @Test
  void unknownFieldsArePrunedOrRefusedUnderStrictValidation() throws IOException {
    GenericKubernetesResource typo = manifest(Path.of("src/test/resources/crd-invalid/typo-field.yaml"));
    assertThatThrownBy(() -> client.resource(typo).fieldValidation(Validation.STRICT).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(400);
          assertThat(e.getStatus().getReason()).isEqualTo("BadRequest");
          assertThat(e.getStatus().getMessage()).isEqualTo("BuildkitBuilder in version \"v1alpha1\" cannot be handled as a "
              + "BuildkitBuilder: strict decoding error: unknown field \"spec.replica\"");
        });
    assertThat(client.resource(typo).get()).isNull();

    GenericKubernetesResource stored = client.resource(typo).create();
    assertThat(stored.getAdditionalProperties().get("spec")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .doesNotContainKey("replica");
  }

  /**
   * The schema's defaults are stored with the object: a field absent from an object that is present gets its default;
   * an absent object gets none (structural schema defaulting).
   */
  @Test
  void schemaDefaultsAreStored() {
    GenericKubernetesResource profile = io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
        apiVersion: buildcache.dev/v1alpha1
        kind: CacheProfile
        metadata: {name: app, namespace: ci}
        spec:
          repository: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app-cache
          builderRef: {name: shared}
          cache: {}
        """, GenericKubernetesResource.class);
    GenericKubernetesResource stored = client.resource(profile).create();
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) stored.getAdditionalProperties().get("spec");
    assertThat(spec).containsEntry("schedule", "0 3 * * *").doesNotContainKey("agent");
    assertThat(spec.get("cache")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("compression", "zstd").containsEntry("tagTemplate", "cache-{branch}");
    assertThat(client.resource(profile).get().getAdditionalProperties().get("spec")).isEqualTo(spec);
  }

  /**
   * A patch or an apply whose result is invalid is refused the same way, and the stored object stays as it was;
   * a strategic merge patch of a custom resource is 415, as on a real server.
   */
  @Test
  @SuppressWarnings("unchecked")
  void anUpdateThatMakesAnObjectInvalidIsRefusedAndStoresNothing() {
    CacheProfile created = client.resource(TestProfiles.profile("app", s -> {})).create();
    String before = created.getMetadata().getResourceVersion();
    var profile = client.resources(CacheProfile.class).inNamespace(created.getMetadata().getNamespace()).withName("app");

    assertThatThrownBy(() -> profile.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"cache\":{\"compression\":\"ztsd\"}}}"))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getStatus().getDetails().getCauses()).extracting(StatusCause::getField, StatusCause::getReason)
              .containsExactly(org.assertj.core.groups.Tuple.tuple("spec.cache.compression", "FieldValueNotSupported"));
        });
    assertThatThrownBy(() -> profile.patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"add\",\"path\":\"/spec/retention\","
        + "\"value\":{\"keepLatest\":-1}}]"))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422));
    GenericKubernetesResource bad = client.genericKubernetesResources("buildcache.dev/v1alpha1", "CacheProfile")
        .inNamespace(created.getMetadata().getNamespace()).withName("app").get();
    ((Map<String, Object>) bad.getAdditionalProperties().get("spec")).put("retention", Map.of("keepLatest", -1));
    bad.getMetadata().setManagedFields(null);
    bad.getMetadata().setResourceVersion(null);
    assertThatThrownBy(() -> client.resource(bad).patch(apply()))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getStatus().getMessage())
            .isEqualTo("CacheProfile.buildcache.dev \"app\" is invalid: spec.retention.keepLatest: Invalid value: -1: "
                + "spec.retention.keepLatest in body should be greater than or equal to 0"));
    assertThatThrownBy(() -> profile.patch(PatchContext.of(PatchType.STRATEGIC_MERGE), "{\"spec\":{}}"))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(415));

    assertThat(profile.get().getMetadata().getResourceVersion()).as("nothing written").isEqualTo(before);
    // a valid edit still goes through
    assertThat(profile.edit(p -> {
      p.getMetadata().setAnnotations(Map.of("a", "b"));
      return p;
    }).getMetadata().getAnnotations()).containsEntry("a", "b");
  }

  /** A profile stored under an older, looser CRD: its {@code spec.cache.compression} is "ztsd", refused today. */
  @SuppressWarnings("unchecked")
  CacheProfile storedUnderOlderCrd() {
    Map<String, Object> raw = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().convertValue(
        TestProfiles.profile("app", s -> {}), Map.class);
    ((Map<String, Map<String, Object>>) raw.get("spec")).get("cache").put("compression", "ztsd");
    cluster.underOlderCrd(CacheProfile.class, () -> client.resource(io.fabric8.kubernetes.client.utils.Serialization.jsonMapper()
        .convertValue(raw, GenericKubernetesResource.class)).create());
    return client.resources(CacheProfile.class).inNamespace(TestBuilders.NAMESPACE).withName("app").get();
  }

  @SuppressWarnings("unchecked")
  Object storedCompression() {
    GenericKubernetesResource stored = client.genericKubernetesResources("buildcache.dev/v1alpha1", "CacheProfile")
        .inNamespace(TestBuilders.NAMESPACE).withName("app").get();
    return ((Map<String, Map<String, Object>>) stored.getAdditionalProperties().get("spec")).get("cache").get("compression");
  }

  /**
   * Validation ratcheting (KEP-4008; CRDValidationRatcheting, on by default from 1.30): on an update, a violation in a
   * part the update does not change is let through; changing that part to another invalid value is refused. So the
   * status of an object from before a CRD upgrade can be written, and its other fields edited.
   */
  @Test
  void anInvalidFieldFromAnOlderCrdIsKeptUntilTheUpdateChangesIt() {
    CacheProfile stored = storedUnderOlderCrd();
    var profile = client.resources(CacheProfile.class).inNamespace(TestBuilders.NAMESPACE).withName("app");

    assertThat(statusApply(stored, stored.getMetadata().getResourceVersion(), "shared-0").getStatus().getAssignedReplica())
        .isEqualTo("shared-0");
    profile.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"schedule\":\"0 4 * * *\"},\"metadata\":{\"annotations\":{\"a\":\"b\"}}}");
    assertThat(storedCompression()).isEqualTo("ztsd");

    assertThatThrownBy(() -> profile.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"cache\":{\"compression\":\"lz4\"}}}"))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getStatus().getDetails().getCauses()).extracting(StatusCause::getField).containsExactly("spec.cache.compression");
        });
    assertThat(storedCompression()).isEqualTo("ztsd");
    profile.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"cache\":{\"compression\":\"zstd\"}}}");
    assertThat(storedCompression()).isEqualTo("zstd");
  }

  /**
   * Before 1.30 there is no ratcheting, and a status write is validated as the whole object it makes
   * (apiextensions-apiserver's ValidateStatusUpdate): the status of an object whose spec today's CRD refuses cannot
   * be written at all, and the refusal names the spec field.
   */
  @Test
  void beforeRatchetingTheStatusOfAnObjectInvalidUnderTheCurrentCrdCannotBeWritten() {
    cluster.dispatcher().serverVersion(29);
    CacheProfile stored = storedUnderOlderCrd();

    assertThatThrownBy(() -> statusApply(stored, stored.getMetadata().getResourceVersion(), "shared-0"))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getStatus().getDetails().getCauses()).extracting(StatusCause::getField).containsExactly("spec.cache.compression");
        });
  }

  /**
   * A write to /status is validated (against the status schema too) and changes only status: the spec it carries is
   * ignored (status strategy: "requests to the /status subresource ignore changes to anything other than the status
   * stanza", CustomResourceSubresources).
   */
  @Test
  @SuppressWarnings("unchecked")
  void aStatusWriteIsValidatedAndChangesOnlyTheStatus() {
    CacheProfile created = client.resource(TestProfiles.profile("app", s -> {})).create();
    var profile = client.resources(CacheProfile.class).inNamespace(TestBuilders.NAMESPACE).withName("app");

    assertThatThrownBy(() -> profile.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"status\":{\"observedGeneration\":\"soon\"}}"))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getStatus().getDetails().getCauses()).extracting(StatusCause::getField, StatusCause::getReason)
              .containsExactly(org.assertj.core.groups.Tuple.tuple("status.observedGeneration", "FieldValueTypeInvalid"));
        });

    GenericKubernetesResource edited = client.genericKubernetesResources("buildcache.dev/v1alpha1", "CacheProfile")
        .inNamespace(TestBuilders.NAMESPACE).withName("app").get();
    ((Map<String, Object>) edited.getAdditionalProperties().get("spec")).put("schedule", "0 5 * * *");
    edited.getAdditionalProperties().put("status", Map.of("assignedReplica", "shared-1"));
    client.genericKubernetesResources("buildcache.dev/v1alpha1", "CacheProfile").inNamespace(TestBuilders.NAMESPACE)
        .resource(edited).updateStatus();
    CacheProfile after = profile.get();
    assertThat(after.getStatus().getAssignedReplica()).isEqualTo("shared-1");
    assertThat(after.getSpec().getSchedule()).isEqualTo(created.getSpec().getSchedule());
  }
}
