package dev.buildcache.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One repository's registry cache policy, and how its CI agents attach to a builder. */
@Group(ApiGroup.GROUP)
@Version(ApiGroup.VERSION)
@ShortNames("cachep")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = Type.STRING)
@AdditionalPrinterColumn(name = "Endpoint", jsonPath = ".status.endpoint", type = Type.STRING)
@AdditionalPrinterColumn(name = "Last GC", jsonPath = ".status.lastGc.completionTime", type = Type.DATE)
@AdditionalPrinterColumn(name = "GC Result", jsonPath = ".status.lastGc.result", type = Type.STRING)
@AdditionalPrinterColumn(name = "Reclaimed", jsonPath = ".status.lastGc.reclaimed", type = Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
public class CacheProfile extends CustomResource<CacheProfileSpec, CacheProfileStatus> implements Namespaced {

  @Override
  protected CacheProfileSpec initSpec() {
    return new CacheProfileSpec();
  }

  @Override
  protected CacheProfileStatus initStatus() {
    return null;
  }

  @Override
  @com.fasterxml.jackson.annotation.JsonPropertyDescription("The cache policy of one repository: where its cache lives, the builder its builds run on, how the cache is written, and what the registry GC keeps.")
  public CacheProfileSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @com.fasterxml.jackson.annotation.JsonPropertyDescription("What the operator made of the profile: its endpoint and agent configuration, its last and next GC run, and conditions.")
  public CacheProfileStatus getStatus() {
    return super.getStatus();
  }
}
