package dev.buildcache.operator.demo;

import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The object store of fabric8's CRUD mock, indexed. fabric8 keeps every object in one map and answers each request
 * by scanning all of it (under one lock), so a request costs time in proportion to everything stored: with 500
 * profiles, their Services and Events, ~6 ms per request, and a converging operator's requests cost the square of
 * the objects. This map keeps the same entries with an index by resource and by object; while a request for one
 * resource (and one object) is being answered, {@link #scoped} narrows what {@link #entrySet()} iterates to that
 * resource (or that object). The scan's own filter still runs on what is left, so the answers are the same; only the
 * entries that could never match are skipped. Outside a scope every entry is iterated, as before.
 */
final class IndexedObjectMap extends AbstractMap<AttributeSet, String> {
  /** The resource (plural) a request is about, and the object when it names one. */
  record Scope(String plural, String namespace, String name) {}

  private static final ThreadLocal<Scope> SCOPE = new ThreadLocal<>();

  private final LinkedHashMap<AttributeSet, String> all = new LinkedHashMap<>();
  private final Map<String, LinkedHashMap<AttributeSet, String>> byPlural = new HashMap<>();
  private final Map<String, LinkedHashMap<AttributeSet, String>> byObject = new HashMap<>();

  /** Runs {@code work} with the store narrowed to {@code scope} (null: everything); scopes nest. */
  static <T> T scoped(Scope scope, java.util.function.Supplier<T> work) {
    Scope outer = SCOPE.get();
    SCOPE.set(scope);
    try {
      return work.get();
    } finally {
      if (outer == null) {
        SCOPE.remove();
      } else {
        SCOPE.set(outer);
      }
    }
  }

  private static String value(AttributeSet key, String attribute) {
    Attribute a = key.getAttribute(attribute);
    return a == null || a.getValues().isEmpty() ? null : a.getValues().get(0).toString();
  }

  private static String objectKey(String plural, String namespace, String name) {
    return plural + "/" + (namespace == null ? "" : namespace) + "/" + name;
  }

  @Override
  public String put(AttributeSet key, String value) {
    String plural = value(key, "plural");
    String name = value(key, "name");
    byPlural.computeIfAbsent(String.valueOf(plural), k -> new LinkedHashMap<>()).put(key, value);
    if (name != null) {
      byObject.computeIfAbsent(objectKey(plural, value(key, "namespace"), name), k -> new LinkedHashMap<>()).put(key, value);
    }
    return all.put(key, value);
  }

  @Override
  public String remove(Object key) {
    if (!(key instanceof AttributeSet set) || !all.containsKey(set)) {
      return null;
    }
    String plural = value(set, "plural");
    String name = value(set, "name");
    Map<AttributeSet, String> ofPlural = byPlural.get(String.valueOf(plural));
    if (ofPlural != null) {
      ofPlural.remove(set);
    }
    if (name != null) {
      String objectKey = objectKey(plural, value(set, "namespace"), name);
      Map<AttributeSet, String> ofObject = byObject.get(objectKey);
      if (ofObject != null) {
        ofObject.remove(set);
        if (ofObject.isEmpty()) {
          byObject.remove(objectKey);
        }
      }
    }
    return all.remove(set);
  }

  @Override
  public String get(Object key) {
    return all.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return all.containsKey(key);
  }

  @Override
  public int size() {
    return all.size();
  }

  @Override
  public void clear() {
    all.clear();
    byPlural.clear();
    byObject.clear();
  }

  @Override
  public Set<Entry<AttributeSet, String>> entrySet() {
    Scope scope = SCOPE.get();
    Map<AttributeSet, String> view;
    if (scope == null || scope.plural() == null) {
      view = all;
    } else if (scope.name() != null) {
      view = byObject.getOrDefault(objectKey(scope.plural(), scope.namespace(), scope.name()), new LinkedHashMap<>());
    } else {
      view = byPlural.getOrDefault(scope.plural(), new LinkedHashMap<>());
    }
    return new View(view);
  }

  @Override
  public Collection<String> values() {
    return all.values();
  }

  /** A snapshot-free view whose removals go through the indexes. */
  private final class View extends AbstractSet<Entry<AttributeSet, String>> {
    private final Map<AttributeSet, String> entries;

    View(Map<AttributeSet, String> entries) {
      this.entries = entries;
    }

    @Override
    public Iterator<Entry<AttributeSet, String>> iterator() {
      // a copy: removing through the indexes while iterating one of them must not fail the iteration
      List<Entry<AttributeSet, String>> copy = new ArrayList<>(entries.entrySet().size());
      entries.forEach((k, v) -> copy.add(new SimpleImmutableEntry<>(k, v)));
      Iterator<Entry<AttributeSet, String>> it = copy.iterator();
      return new Iterator<>() {
        Entry<AttributeSet, String> last;

        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public Entry<AttributeSet, String> next() {
          last = it.next();
          return last;
        }

        @Override
        public void remove() {
          IndexedObjectMap.this.remove(last.getKey());
        }
      };
    }

    @Override
    public int size() {
      return entries.size();
    }
  }
}
