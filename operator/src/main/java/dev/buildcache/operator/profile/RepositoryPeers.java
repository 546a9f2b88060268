package dev.buildcache.operator.profile;

import dev.buildcache.operator.api.v1alpha1.CacheProfile;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Which profiles a change of one profile concerns for repository ownership: the others on the repository it names
 * now and on the one it named before (an event carries only the new object, so the last repository seen of each
 * profile is remembered here).
 */
final class RepositoryPeers {
  private final Map<ResourceID, String> lastRepository = new ConcurrentHashMap<>();
  private volatile Function<String, List<CacheProfile>> profilesOn = key -> List.of();

  void lookUp(Function<String, List<CacheProfile>> profilesOn) {
    this.profilesOn = profilesOn;
  }

  Set<ResourceID> concerned(CacheProfile changed) {
    ResourceID id = ResourceID.fromResource(changed);
    String now = CacheProfileReconciler.repositoryKey(changed);
    String before = now == null ? lastRepository.remove(id) : lastRepository.put(id, now);
    Set<ResourceID> concerned = new HashSet<>();
    for (String key : new HashSet<>(java.util.Arrays.asList(now, before))) {
      if (key != null) {
        profilesOn.apply(key).forEach(p -> concerned.add(ResourceID.fromResource(p)));
      }
    }
    if (now != null && !concerned.contains(id)) {
      lastRepository.remove(id); // deleted: the cache no longer holds it
    }
    concerned.remove(id);
    return concerned;
  }
}
