package dev.buildcache.operator.api.status;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** The part of both kinds' status the controller kernel writes. */
public interface ConditionedStatus {
  List<Condition> getConditions();

  void setConditions(List<Condition> conditions);

  void setObservedGeneration(Long observedGeneration);
}
