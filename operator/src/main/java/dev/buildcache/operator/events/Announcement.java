package dev.buildcache.operator.events;

import dev.buildcache.operator.api.status.Reason;

/** An Event to publish about the object a pass reconciled, once its status is written. */
public record Announcement(EventPublisher.Type type, Reason reason, String message) {}
