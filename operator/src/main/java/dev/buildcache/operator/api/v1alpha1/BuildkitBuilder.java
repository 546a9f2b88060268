package dev.buildcache.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A pool of long-lived, mTLS-protected {@code buildkitd} daemons that CI agents attach to with buildx's remote driver. */
@Group(ApiGroup.GROUP)
@Version(ApiGroup.VERSION)
@ShortNames("bkb")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = Type.STRING)
@AdditionalPrinterColumn(name = "Desired", jsonPath = ".spec.replicas", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "Available", jsonPath = ".status.readyReplicas", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "Endpoint", jsonPath = ".status.endpoint", type = Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
public class BuildkitBuilder extends CustomResource<BuildkitBuilderSpec, BuildkitBuilderStatus> implements Namespaced {

  @Override
  protected BuildkitBuilderSpec initSpec() {
    return new BuildkitBuilderSpec();
  }

  @Override
  protected BuildkitBuilderStatus initStatus() {
    return null;
  }

  @Override
  @com.fasterxml.jackson.annotation.JsonPropertyDescription("A pool of long-lived buildkitd daemons: replicas, image, storage, local cache GC, TLS, which pods may connect, drain and scheduling.")
  public BuildkitBuilderSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @com.fasterxml.jackson.annotation.JsonPropertyDescription("What the operator observed of the builder: replicas, endpoint, client Secret, certificate expiry, profiles per replica, and conditions.")
  public BuildkitBuilderStatus getStatus() {
    return super.getStatus();
  }
}
