package dev.buildcache.operator.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RendezvousRouterTest {
  static final List<String> PROFILES = IntStream.range(0, 1000).mapToObj(i -> "buildkite/repo-" + i).toList();

  static Map<String, Integer> assignAll(int replicas, java.util.function.IntPredicate ready) {
    Map<String, Integer> out = new HashMap<>();
    PROFILES.forEach(p -> out.put(p, RendezvousRouter.assign(p, replicas, ready)));
    return out;
  }

  @Test
  void thousandProfilesOverFiveReplicasAreBalancedWithinAQuarterOfTheMean() {
    Map<String, Integer> assignment = assignAll(5, i -> true);
    int[] load = new int[5];
    assignment.values().forEach(r -> load[r]++);
    for (int l : load) {
      assertThat(l).isBetween(150, 250);
    }
  }

  @Test
  void scalingThreeToFourMovesAboutAQuarterAndOnlyToTheNewReplica() {
    Map<String, Integer> three = assignAll(3, i -> true);
    Map<String, Integer> four = assignAll(4, i -> true);
    long moved = PROFILES.stream().filter(p -> !three.get(p).equals(four.get(p))).count();
    assertThat(moved).isBetween(200L, 300L);
    PROFILES.stream().filter(p -> !three.get(p).equals(four.get(p)))
        .forEach(p -> assertThat(four.get(p)).as("moved profiles go to the new replica").isEqualTo(3));
  }

  @Test
  void scalingDownMovesOnlyTheRemovedReplicasProfiles() {
    Map<String, Integer> four = assignAll(4, i -> true);
    Map<String, Integer> three = assignAll(3, i -> true);
    PROFILES.stream().filter(p -> four.get(p) != 3).forEach(p -> assertThat(three.get(p)).isEqualTo(four.get(p)));
  }

  @Test
  void notReadyReplicaHandsOverToTheNextChoiceAndGetsItsProfilesBack() {
    Map<String, Integer> healthy = assignAll(4, i -> true);
    Map<String, Integer> failed = assignAll(4, i -> i != 1);
    for (String p : PROFILES) {
      if (healthy.get(p) == 1) {
        assertThat(failed.get(p)).isEqualTo(RendezvousRouter.ranking(p, 4).get(1));
      } else {
        assertThat(failed.get(p)).as("others stay put").isEqualTo(healthy.get(p));
      }
    }
    assertThat(assignAll(4, i -> true)).isEqualTo(healthy);
  }

  @Test
  void noReadyReplicaKeepsTheFirstChoiceAndNoReplicasIsMinusOne() {
    assertThat(RendezvousRouter.assign("buildkite/app", 3, i -> false)).isEqualTo(RendezvousRouter.ranking("buildkite/app", 3).get(0));
    assertThat(RendezvousRouter.assign("buildkite/app", 0, i -> true)).isEqualTo(-1);
  }

  @Test
  void rankingIsStableAcrossCallsAndAPermutation() {
    List<Integer> ranking = RendezvousRouter.ranking("buildkite/app", 6);
    assertThat(ranking).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5).isEqualTo(RendezvousRouter.ranking("buildkite/app", 6));
    // Pinned: a different hash would move every repository off the replica that holds its warm cache on upgrade.
    assertThat(ranking).containsExactly(2, 4, 3, 0, 1, 5);
  }

  @Test
  void theOnePassAnswersAreTheRankingsAnswers() {
    java.util.Random random = new java.util.Random(7);
    for (int n = 1; n <= RendezvousRouter.MAX_REPLICAS; n++) {
      for (int k = 0; k < 20; k++) {
        String key = "ns/profile-" + random.nextInt(1_000_000);
        List<Integer> ranking = RendezvousRouter.ranking(key, n);
        assertThat(RendezvousRouter.firstChoice(key, n)).isEqualTo(ranking.get(0));
        java.util.Set<Integer> ready = new java.util.HashSet<>();
        for (int r = 0; r < n; r++) {
          if (random.nextBoolean()) {
            ready.add(r);
          }
        }
        int expected = ranking.stream().filter(ready::contains).findFirst().orElse(ranking.get(0));
        assertThat(RendezvousRouter.assign(key, n, ready::contains)).isEqualTo(expected);
      }
    }
  }

  @Test
  void noCountBeyondABuildersBoundIsWorkedThrough() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RendezvousRouter.assign("k", Integer.MAX_VALUE, i -> false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than the 64 a builder may have");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RendezvousRouter.ranking("k", 65)).isInstanceOf(IllegalArgumentException.class);
  }
}
