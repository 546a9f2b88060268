package dev.buildcache.operator.builder;

import dev.buildcache.operator.api.status.Conditions;
import dev.buildcache.operator.api.status.Reason;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilder;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderSpec;
import dev.buildcache.operator.api.v1alpha1.BuildkitBuilderStatus;
import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import dev.buildcache.operator.builder.desired.BuilderNames;
import dev.buildcache.operator.builder.desired.SecretFactory;
import dev.buildcache.operator.events.EventPublisher;
import dev.buildcache.operator.kernel.Failures;
import dev.buildcache.operator.kernel.StatusUpdates;
import dev.buildcache.operator.kernel.StatusWriter;
import dev.buildcache.operator.metrics.BuilderMetrics;
import dev.buildcache.operator.tls.TlsMaterial;
import dev.buildcache.operator.tls.TlsMaterialPlanner;
import dev.buildcache.operator.units.Durations;
import dev.buildcache.operator.validation.FieldError;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Observe, validate, reconcile: plans certificates, applies every owned object, and reports what it observed.
 * Level-triggered: every pass applies the full desired state, and a pass over a converged builder writes nothing.
 */
@ControllerConfiguration(name = BuildkitBuilderReconciler.NAME, fieldManager = BuildkitBuilderReconciler.FIELD_MANAGER)
public class BuildkitBuilderReconciler implements Reconciler<BuildkitBuilder> {
  public static final String NAME = "buildkitbuilder";
  public static final String FIELD_MANAGER = "buildcache-operator";
  private static final Logger LOG = LoggerFactory.getLogger(BuildkitBuilderReconciler.class);
  static final Duration MIN_REQUEUE = Duration.ofMinutes(1);
  static final Duration DEFAULT_CA_PUBLISH_DELAY = Duration.ofHours(1);
  /** The longest a pass schedules the next one: the resync period (drift is repaired at least this often). */
  private final Duration maxRequeue;

  private final BuilderDependents dependents;
  private final TlsMaterialPlanner tlsPlanner;
  private final StatusWriter<BuildkitBuilderStatus, BuildkitBuilder> status;
  private final BuilderMetrics metrics;
  private final Clock clock;
  private InformerEventSource<CacheProfile, BuildkitBuilder> profiles;

  public BuildkitBuilderReconciler(BuilderDependents dependents, TlsMaterialPlanner tlsPlanner, EventPublisher events,
      BuilderMetrics metrics, Clock clock, Duration maxRequeue) {
    this.maxRequeue = maxRequeue;
    this.dependents = dependents;
    this.tlsPlanner = tlsPlanner;
    this.status = new StatusWriter<>(events, clock, BuildkitBuilder::new, Set.of());
    this.metrics = metrics;
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, BuildkitBuilder>> prepareEventSources(EventSourceContext<BuildkitBuilder> context) {
    // Profiles routed onto this builder: their assignments are counted per replica in the builder's status.
    profiles = new InformerEventSource<>(InformerEventSourceConfiguration.from(CacheProfile.class, BuildkitBuilder.class)
        .withName("profiles")
        .withSecondaryToPrimaryMapper(p -> p.getSpec() == null || p.getSpec().getBuilderRef() == null || p.getSpec().getBuilderRef().getName() == null
            ? Set.of() : Set.of(new ResourceID(p.getSpec().getBuilderRef().getName(), p.getMetadata().getNamespace())))
        .build(), context);
    List<EventSource<?, BuildkitBuilder>> sources = new ArrayList<>(dependents.eventSources(context));
    sources.add(profiles);
    return sources;
  }

  private List<String> assignedReplicas(BuildkitBuilder builder) {
    String name = builder.getMetadata().getName();
    return profiles.list(builder.getMetadata().getNamespace(), p -> p.getSpec() != null && p.getSpec().getBuilderRef() != null
            && name.equals(p.getSpec().getBuilderRef().getName()) && p.getStatus() != null && p.getStatus().getAssignedReplica() != null)
        .map(p -> p.getStatus().getAssignedReplica()).toList();
  }

  @Override
  public UpdateControl<BuildkitBuilder> reconcile(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
    List<FieldError> errors = BuilderSpecValidator.validate(builder);
    if (!errors.isEmpty()) {
      String message = errors.stream().map(Object::toString).collect(Collectors.joining("; "));
      LOG.info("BuildkitBuilder {}/{} has an invalid spec, leaving its objects alone: {}",
          builder.getMetadata().getNamespace(), builder.getMetadata().getName(), message);
      metrics.reconciled("invalid");
      status.write(builder, StatusUpdates.copy(builder.getStatus(), BuildkitBuilderStatus::new), BuilderStatusFactory.invalid(message),
          List.of(), context);
      return UpdateControl.noUpdate();
    }

    TlsMaterial tls = tlsPlanner.plan(tlsRequest(builder), storedTls(builder, context));
    dependents.reconcile(builder, context, tls);

    BuilderStatusFactory.Observed observed =
        BuilderStatusFactory.observe(builder, dependents.observedStatefulSet(builder, context), tls,
            assignedReplicas(builder));
    metrics.observe(builder, observed.fields(), tls);
    metrics.reconciled("applied");
    status.write(builder, observed.fields(), observed.conditions(),
        CertificateEvents.of(BuilderNames.of(builder), tls).stream().toList(), context);
    return UpdateControl.<BuildkitBuilder>noUpdate().rescheduleAfter(untilNextRenewal(tls));
  }

  @Override
  public ErrorStatusUpdateControl<BuildkitBuilder> updateErrorStatus(BuildkitBuilder builder,
      Context<BuildkitBuilder> context, Exception e) {
    if (Failures.isConflict(e)) {
      // Someone else wrote first (or our cache was behind); the retry will see the new version. Not a fault.
      LOG.debug("conflict reconciling BuildkitBuilder {}/{}, retrying", builder.getMetadata().getNamespace(),
          builder.getMetadata().getName());
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    String message = Failures.oneLine(Failures.rootCause(e));
    LOG.warn("reconcile of BuildkitBuilder {}/{} failed: {}", builder.getMetadata().getNamespace(),
        builder.getMetadata().getName(), message);
    Reason reason = Failures.find(e, dev.buildcache.operator.kernel.ObjectNameTakenException.class).isPresent()
        ? Reason.OBJECT_NAME_TAKEN : Reason.RECONCILE_ERROR;
    status.writeFailure(builder, StatusUpdates.copy(builder.getStatus(), BuildkitBuilderStatus::new),
        BuilderStatusFactory.failed(reason, message), context);
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  static TlsMaterialPlanner.Request tlsRequest(BuildkitBuilder builder) {
    BuilderNames names = BuilderNames.of(builder);
    BuildkitBuilderSpec.TlsSpec tls = builder.getSpec().getTls();
    return new TlsMaterialPlanner.Request(
        "buildcache " + names.namespace() + "/" + names.name() + " CA",
        names.serverName(),
        names.serverDnsNames(),
        "buildcache client " + names.namespace() + "/" + names.name(),
        Durations.parse(tls.getCertificateDuration()),
        Durations.parse(tls.getRenewBefore()),
        Durations.parse(tls.getCaDuration()),
        tls.getCaPublishDelay() == null ? DEFAULT_CA_PUBLISH_DELAY : Durations.parse(tls.getCaPublishDelay()));
  }

  private TlsMaterialPlanner.Stored storedTls(BuildkitBuilder builder, Context<BuildkitBuilder> context) {
    Secret ca = dependents.storedSecret(builder, context, "ca").orElse(null);
    Secret server = dependents.storedSecret(builder, context, "server").orElse(null);
    Secret client = dependents.storedSecret(builder, context, "client").orElse(null);
    return new TlsMaterialPlanner.Stored(
        SecretFactory.value(ca, SecretFactory.CA_CERT), SecretFactory.value(ca, SecretFactory.CA_KEY),
        SecretFactory.value(ca, SecretFactory.TRUST_BUNDLE),
        SecretFactory.value(server, SecretFactory.BUNDLE_CERT), SecretFactory.value(server, SecretFactory.BUNDLE_KEY),
        SecretFactory.value(server, SecretFactory.BUNDLE_CA),
        SecretFactory.value(client, SecretFactory.BUNDLE_CERT), SecretFactory.value(client, SecretFactory.BUNDLE_KEY),
        SecretFactory.value(client, SecretFactory.BUNDLE_CA));
  }

  /** The next moment a certificate changes (a renewal window opens, leaves switch CA), so it happens on time. */
  private Duration untilNextRenewal(TlsMaterial tls) {
    Duration wait = Duration.between(clock.instant(), tls.nextChange());
    if (wait.compareTo(MIN_REQUEUE) < 0) {
      return MIN_REQUEUE;
    }
    return wait.compareTo(maxRequeue) > 0 ? maxRequeue : wait;
  }
}
