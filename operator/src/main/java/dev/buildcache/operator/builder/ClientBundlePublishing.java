package dev.buildcache.operator.builder;

import dev.buildcache.operator.api.status.ConditionType;
import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.bundles.BundlePublishException;
import dev.buildcache.operator.bundles.BundleSecretNames;
import dev.buildcache.operator.bundles.ClientBundle;
import dev.buildcache.operator.bundles.SecretsManagerPublisher;
import dev.buildcache.operator.tls.TlsMaterial;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;

/**
 * The client bundles of an exposed builder's profiles, kept current in AWS Secrets Manager after each pass applied the
 * builder's certificates: one secret per profile with a client certificate of its own (routed, not revoked), holding
 * that certificate; renewals (a third of the profile certificate's life before it ends) update it. The outcome is a condition of the builder; a failure fails no other part of the pass.
 */
public final class ClientBundlePublishing {
  private final SecretsManagerPublisher publisher;
  private final BundleSecretNames names;

  public ClientBundlePublishing(SecretsManagerPublisher publisher, BundleSecretNames names) {
    this.publisher = publisher;
    this.names = names;
  }

  /** What a pass published: the condition to write, and whether publishing failed (then it is tried again soon). */
  public record Result(Conditions.Desired condition, boolean failed) {}

  public static Result notConfigured() {
    return new Result(new Conditions.Desired(ConditionType.CLIENT_BUNDLES_PUBLISHED, false, Reason.NOT_CONFIGURED,
        "spec.exposure.secretsManager is unset: client bundles are not published"), false);
  }

  /** Publishes each profile's own client certificate with the builder's trust bundle. */
  public Result publish(BuildkitBuilder builder, TlsMaterial tls, dev.buildcache.operator.tls.ProfileIdentities identities) {
    Collection<String> profiles = identities.identities().keySet();
    BuildkitBuilderSpec.SecretsManagerSpec target = builder.getSpec().getExposure() == null ? null
        : builder.getSpec().getExposure().getSecretsManager();
    if (!builder.getSpec().exposed() || target == null) {
      return notConfigured();
    }
    String namespace = builder.getMetadata().getNamespace();
    String owner = namespace + "/" + builder.getMetadata().getName();
    Map<SecretsManagerPublisher.Outcome, Integer> outcomes = new EnumMap<>(SecretsManagerPublisher.Outcome.class);
    for (String profile : profiles) {
      var identity = identities.identities().get(profile);
      ClientBundle bundle = new ClientBundle(tls.trustBundle(), identity.certificatePem(), identity.keyPem());
      String name = names.name(namespace, builder.getMetadata().getName(), profile);
      try {
        outcomes.merge(publisher.publish(target.getRegion(), target.getKmsKeyId(), name, owner, namespace + "/" + profile, bundle),
            1, Integer::sum);
      } catch (BundlePublishException e) {
        return new Result(new Conditions.Desired(ConditionType.CLIENT_BUNDLES_PUBLISHED, false, Reason.BUNDLE_PUBLISH_FAILED,
            e.getMessage()), true);
      }
    }
    int created = outcomes.getOrDefault(SecretsManagerPublisher.Outcome.CREATED, 0);
    int updated = outcomes.getOrDefault(SecretsManagerPublisher.Outcome.UPDATED, 0);
    String where = names.name(namespace, builder.getMetadata().getName(), "<profile>")
        + (target.getRegion() == null ? "" : " in " + target.getRegion());
    String message = profiles.size() + " client bundle(s) current in Secrets Manager as " + where
        + (created + updated == 0 ? "" : " (" + created + " created, " + updated + " updated now)");
    boolean changed = created + updated > 0;
    return new Result(new Conditions.Desired(ConditionType.CLIENT_BUNDLES_PUBLISHED, true,
        changed ? Reason.BUNDLES_PUBLISHED : Reason.BUNDLES_CURRENT, message), false);
  }
}
