package dev.buildcache.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;

class OperatorClientTest {
  static final String WITH_MANAGED_FIELDS = """
      {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns","resourceVersion":"7",
       "labels":{"app":"x"},
       "managedFields":[{"manager":"buildcache-operator","operation":"Apply","apiVersion":"v1","time":"2026-12-02T19:00:00Z",
         "fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:k":{}},"f:metadata":{"f:labels":{"f:app":{}}}}}]},
       "data":{"k":"v"}}""";

  @Test
  void objectsAreReadWithoutManagedFieldsAndEverythingElseKept() {
    try (KubernetesClient client = OperatorClient.create(new ConfigBuilder().withMasterUrl("https://127.0.0.1:1").build())) {
      ConfigMap read = client.getKubernetesSerialization().unmarshal(WITH_MANAGED_FIELDS, ConfigMap.class);
      assertThat(read.getMetadata().getManagedFields()).isEmpty();
      assertThat(read.getMetadata().getAdditionalProperties()).doesNotContainKey("managedFields");
      assertThat(read.getMetadata().getResourceVersion()).isEqualTo("7");
      assertThat(read.getMetadata().getLabels()).containsEntry("app", "x");
      assertThat(read.getData()).containsEntry("k", "v");
      assertThat(client.getKubernetesSerialization().asJson(read)).doesNotContain("managedFields");

      CacheProfile profile = client.getKubernetesSerialization().unmarshal(WITH_MANAGED_FIELDS
          .replace("\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"", "\"apiVersion\":\"buildcache.dev/v1alpha1\",\"kind\":\"CacheProfile\"")
          .replace("\"data\":{\"k\":\"v\"}", "\"spec\":{\"repository\":\"r\"}"), CacheProfile.class);
      assertThat(profile.getMetadata().getManagedFields()).as("custom resources too").isEmpty();
    }
  }

  @Test
  void theDefaultClientStillReadsThem() {
    ConfigMap read = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(WITH_MANAGED_FIELDS, ConfigMap.class);
    assertThat(read.getMetadata().getManagedFields()).as("the test would pass for any client otherwise").hasSize(1);
  }
}
