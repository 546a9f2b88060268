package dev.buildcache.operator.registry.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildcache.operator.registry.ApiCalls;
import dev.buildcache.operator.registry.ManifestParser;
import dev.buildcache.operator.registry.PullTimes;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.registry.RepositoryReference;
import java.io.IOException;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OCI distribution API over {@code java.net.http}: tags list with {@code Link} pagination, manifest
 * {@code HEAD}/{@code GET} with {@code Accept}, {@code DELETE} by digest; Basic and Bearer-token auth.
 *
 * <p>The API has no push or pull times and cannot list untagged manifests; blobs are freed only by the registry's
 * own garbage collection. What the registry answers is checked, not trusted: pagination must stay in this
 * repository and end; a tag that cannot be resolved is reported, never dropped; a manifest must hash to its digest
 * and fit {@link Limits#maxManifestBytes()}. {@link RegistryHttp} keeps the credentials on the registry's host.
 */
public final class OciRegistryClient implements RegistryClient {
  static final int PAGE_SIZE = 1000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]*)>\\s*;\\s*rel=\"?next\"?");
  /** The distribution spec's tag grammar. */
  private static final Pattern TAG = Pattern.compile("^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$");
  private static final Pattern DIGEST = Pattern.compile("^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$");

  /**
   * How far the client trusts a registry.
   *
   * @param deadline a response must be complete within this, body included
   * @param maxManifestBytes a larger manifest is not read; 4 MiB is what the OCI distribution spec says a
   *     registry should accept at least, and distribution's own limit
   */
  public record Limits(Duration connectTimeout, Duration deadline, Duration backoff, int maxAttempts, int maxManifestBytes,
      int maxTagPageBytes, int concurrency) {
    /** Requests in flight to one registry at a time, by default. */
    public static final int DEFAULT_CONCURRENCY = 8;
    public static final Limits DEFAULT = new Limits(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofMillis(200), 4,
        4 * 1024 * 1024, 16 * 1024 * 1024, DEFAULT_CONCURRENCY);

    public Limits {
      if (concurrency < 1) {
        throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
      }
    }

    public Limits withDeadline(Duration d) {
      return new Limits(connectTimeout, d, backoff, maxAttempts, maxManifestBytes, maxTagPageBytes, concurrency);
    }

    public Limits withBackoff(Duration b) {
      return new Limits(connectTimeout, deadline, b, maxAttempts, maxManifestBytes, maxTagPageBytes, concurrency);
    }

    public Limits withMaxManifestBytes(int max) {
      return new Limits(connectTimeout, deadline, backoff, maxAttempts, max, maxTagPageBytes, concurrency);
    }

    /** At most {@code n} requests in flight (1: one after another). */
    public Limits withConcurrency(int n) {
      return new Limits(connectTimeout, deadline, backoff, maxAttempts, maxManifestBytes, maxTagPageBytes, n);
    }
  }

  private final RepositoryReference repository;
  private final URI base;
  private final ApiCalls calls = new ApiCalls();
  private final RegistryHttp http;
  private final Limits limits;

  public OciRegistryClient(RepositoryReference repository, boolean insecure, DockerCredentials credentials) {
    this(repository, insecure, credentials, Limits.DEFAULT);
  }

  public OciRegistryClient(RepositoryReference repository, boolean insecure, DockerCredentials credentials, Limits limits) {
    this(repository, insecure, credentials, limits, RegistryPacer.system());
  }

  /** @param pacer shared by the clients of one registry host, so that a 429 to one run slows them all */
  public OciRegistryClient(RepositoryReference repository, boolean insecure, DockerCredentials credentials, Limits limits,
      RegistryPacer pacer) {
    this.repository = repository;
    URI origin = URI.create((insecure ? "http://" : "https://") + repository.host());
    this.base = URI.create(origin + "/v2/" + repository.name() + "/");
    this.limits = limits;
    this.http = new RegistryHttp(origin, repository.host(), credentials, limits, calls, pacer);
  }

  /**
   * {@code work} applied to every item, at most {@link Limits#concurrency()} at a time, the results in the items'
   * order: the requests overlap, what the GC sees does not depend on which answer came first. A failure of one item
   * is the failure of the whole call, as it would be one after another.
   */
  <T, R> List<R> inParallel(List<T> items, java.util.function.Function<T, R> work) {
    if (limits.concurrency() == 1 || items.size() < 2) {
      return items.stream().map(work).toList();
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
        Math.min(limits.concurrency(), items.size()), r -> {
          Thread t = new Thread(r, "registry-" + repository.host());
          t.setDaemon(true);
          return t;
        });
    try {
      List<java.util.concurrent.Future<R>> futures = new ArrayList<>(items.size());
      for (T item : items) {
        futures.add(pool.submit(() -> work.apply(item)));
      }
      List<R> out = new ArrayList<>(items.size());
      for (java.util.concurrent.Future<R> future : futures) {
        out.add(future.get());
      }
      return out;
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new RegistryException(repository + ": " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryException(repository + ": interrupted", e);
    } finally {
      pool.shutdownNow();
    }
  }

  @Override
  public String registryType() {
    return "oci";
  }

  @Override
  public boolean listsUntagged() {
    return false;
  }

  @Override
  public boolean readsArePulls() {
    return false;
  }

  @Override
  public boolean refusesDeletingReferencedManifests() {
    return false;
  }

  @Override
  public PullTimes pullTimes() {
    return PullTimes.notRecorded();
  }

  @Override
  public Listing list() {
    return listing(true);
  }

  /**
   * @param keepBodies resolve each tag with a {@code GET} and keep the manifests (within
   *     {@link #MAX_KEPT_MANIFEST_BYTES}) for {@link #read}: one request per tag tells both the digest and the
   *     manifest, where a {@code HEAD} per tag and a {@code GET} per new digest took two; false: {@code HEAD}s, for the
   *     re-read, which needs digests only
   */
  private Listing listing(boolean keepBodies) {
    Map<String, List<String>> tagsByDigest = new TreeMap<>();
    Map<String, String> mediaTypes = new TreeMap<>();
    List<Unresolved> unresolved = new ArrayList<>();
    List<String> tags = listTags();
    List<Resolution> resolutions = inParallel(tags, tag -> TAG.matcher(tag).matches() ? resolve(tag, keepBodies) : null);
    for (int i = 0; i < tags.size(); i++) {
      String tag = tags.get(i);
      Resolution r = resolutions.get(i);
      if (r == null) {
        unresolved.add(new Unresolved(RegistryHttp.printable(tag, 140), "the tags list names it, but it is not a valid tag"));
        continue;
      }
      if (r.digest() == null) {
        unresolved.add(new Unresolved(tag, r.problem()));
      } else {
        tagsByDigest.computeIfAbsent(r.digest(), d -> new ArrayList<>()).add(tag);
        if (r.mediaType() != null) {
          mediaTypes.putIfAbsent(r.digest(), r.mediaType());
        }
      }
    }
    List<ListedImage> images = new ArrayList<>();
    tagsByDigest.forEach((digest, onDigest) -> images.add(new ListedImage(digest, onDigest.stream().sorted().toList(), null, null,
        mediaTypes.get(digest))));
    return new Listing(images, unresolved);
  }

  /**
   * Every tag, page by page. A next page must be in this repository on this registry, must not repeat, and every
   * page must bring a tag not seen before: otherwise the listing is an error, not a partial answer.
   */
  List<String> listTags() {
    Set<String> tags = new LinkedHashSet<>();
    Set<URI> seen = new HashSet<>();
    URI url = base.resolve("tags/list?n=" + PAGE_SIZE);
    int pages = 0;
    while (url != null) {
      if (!seen.add(url)) {
        throw new RegistryException("tags list of " + repository + ": the registry's Link header leads back to " + url
            + " (a pagination loop)");
      }
      pages++;
      RegistryHttp.Response response = http.send("ListTags", "GET", url, Map.of(), limits.maxTagPageBytes(), scope("pull"));
      if (response.status() == 404) {
        throw new RegistryException("repository " + repository + " does not exist (tags list: HTTP 404 " + response.errorText()
            + "); check --repository (spec.repository)");
      }
      expect(response, "list the tags of " + repository);
      int before = tags.size();
      JsonNode body = json(response, "tags list of " + repository);
      JsonNode list = body.path("tags");
      if (!list.isNull() && !list.isMissingNode() && !list.isArray()) {
        throw new RegistryException("tags list of " + repository + ": 'tags' is not a list");
      }
      list.forEach(t -> tags.add(t.asText()));
      url = response.header("Link").map(link -> next(link, response.uri())).orElse(null);
      if (url != null && tags.size() == before) {
        throw new RegistryException("tags list of " + repository + ": page " + pages + " brought no new tag but links to another page");
      }
    }
    return List.copyOf(tags);
  }

  private URI next(String link, URI current) {
    Matcher m = NEXT_LINK.matcher(link);
    if (!m.find()) {
      return null;
    }
    URI next;
    try {
      next = current.resolve(m.group(1));
    } catch (IllegalArgumentException e) {
      throw new RegistryException("tags list of " + repository + ": the Link header is not a URL: " + RegistryHttp.printable(m.group(1), 100));
    }
    if (!RegistryHttp.sameOrigin(next, base) || !next.getRawPath().equals(base.getRawPath() + "tags/list")) {
      throw new RegistryException("tags list of " + repository + ": the Link header points at " + RegistryHttp.origin(next)
          + next.getRawPath() + ", outside this repository; refusing to follow it");
    }
    return next;
  }

  private record Resolution(String digest, String mediaType, String problem) {}

  /** Manifests kept from the listing's {@code GET}s for {@link #read}, at most this many bytes in all. */
  static final long MAX_KEPT_MANIFEST_BYTES = 64L * 1024 * 1024;
  private record Kept(byte[] body, String contentType) {}
  private final Map<String, Kept> kept = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong keptBytes = new java.util.concurrent.atomic.AtomicLong();

  /**
   * The digest a tag points at now. With {@code getFirst}, a {@code GET} whose body is hashed and kept for
   * {@link #read}, when it is a clean answer (200, within the size cap, agreeing with its own digest header). Otherwise,
   * or without {@code getFirst}: a {@code HEAD} with its {@code Docker-Content-Digest}, and where that header is
   * missing or malformed, or the answer is 404 (flaky, or a tag moved away), a {@code GET} whose body is hashed; a
   * manifest that cannot be read cleanly is then read by digest, where its failure is reported.
   */
  private Resolution resolve(String tag, boolean getFirst) {
    if (getFirst) {
      try {
        RegistryHttp.Response get = http.send("GetManifest", "GET", base.resolve("manifests/" + tag), accept(),
            limits.maxManifestBytes(), scope("pull"));
        if (get.status() == 200) {
          String computed = "sha256:" + hex("SHA-256", get.body());
          Optional<String> declared = get.header("Docker-Content-Digest").filter(d -> DIGEST.matcher(d).matches());
          if (declared.isEmpty() || declared.get().equals(computed)) {
            if (keptBytes.addAndGet(get.body().length) <= MAX_KEPT_MANIFEST_BYTES) {
              kept.putIfAbsent(computed, new Kept(get.body(), contentType(get)));
            }
            return new Resolution(computed, contentType(get), null);
          }
        }
      } catch (RegistryException e) {
        // too large, cut off, unreachable: resolve it the careful way below
      }
    }
    RegistryHttp.Response head = http.send("HeadManifest", "HEAD", base.resolve("manifests/" + tag), accept(), 0, scope("pull"));
    if (head.status() == 200) {
      Optional<String> digest = head.header("Docker-Content-Digest").filter(d -> DIGEST.matcher(d).matches());
      if (digest.isPresent()) {
        return new Resolution(digest.get(), contentType(head), null);
      }
    } else if (head.status() != 404) {
      return new Resolution(null, null, "HEAD manifests/" + tag + " answered HTTP " + head.status());
    }
    RegistryHttp.Response get;
    try {
      get = http.send("GetManifest", "GET", base.resolve("manifests/" + tag), accept(), limits.maxManifestBytes(), scope("pull"));
    } catch (RegistryException e) {
      return new Resolution(null, null, e.getMessage());
    }
    if (get.status() != 200) {
      return new Resolution(null, null, "listed, but its manifest answers HTTP " + get.status() + (head.status() == 404 ? " to HEAD and GET" : ""));
    }
    String computed = "sha256:" + hex("SHA-256", get.body());
    Optional<String> declared = get.header("Docker-Content-Digest");
    if (declared.isPresent() && DIGEST.matcher(declared.get()).matches() && declared.get().startsWith("sha256:")
        && !declared.get().equals(computed)) {
      return new Resolution(null, null, "the registry says " + declared.get() + " but the manifest it serves hashes to " + computed);
    }
    return new Resolution(declared.filter(d -> d.startsWith("sha512:")).orElse(computed), contentType(get), null);
  }

  @Override
  public List<ManifestRead> read(List<String> digests) {
    return inParallel(digests, this::read);
  }

  private ManifestRead read(String digest) {
    if (!DIGEST.matcher(digest).matches()) {
      return ManifestRead.failed(digest, "not a sha256 or sha512 digest");
    }
    Kept listed = kept.remove(digest);
    if (listed != null) {
      // what the listing's GET served for a tag, checked against the digest as a GET by digest would be
      return parsed(digest, listed.body(), listed.contentType());
    }
    RegistryHttp.Response response;
    try {
      response = http.send("GetManifest", "GET", base.resolve("manifests/" + digest), accept(), limits.maxManifestBytes(), scope("pull"));
    } catch (RegistryException e) {
      return ManifestRead.failed(digest, e.getMessage());
    }
    if (response.status() != 200) {
      // Listed (or referenced) a moment ago: a 404 here is not proof that it is gone.
      return ManifestRead.failed(digest, "GET manifests/" + digest + " answered HTTP " + response.status() + " " + response.errorText());
    }
    return parsed(digest, response.body(), contentType(response));
  }

  private static ManifestRead parsed(String digest, byte[] body, String contentType) {
    String algorithm = digest.startsWith("sha512:") ? "SHA-512" : "SHA-256";
    String actual = digest.substring(0, digest.indexOf(':') + 1) + hex(algorithm, body);
    if (!actual.equals(digest)) {
      return ManifestRead.failed(digest, "the registry served content that hashes to " + actual);
    }
    try {
      return ManifestRead.read(digest, ManifestParser.parse(body, contentType));
    } catch (IllegalArgumentException e) {
      return ManifestRead.failed(digest, "the manifest " + e.getMessage());
    }
  }

  @Override
  public Listing reread(Collection<String> digests) {
    // Only tags can change for a digest here, and any tag may have moved onto it: list and resolve them all again.
    Listing now = listing(false);
    Set<String> wanted = new HashSet<>(digests);
    return new Listing(now.images().stream().filter(i -> wanted.contains(i.digest())).toList(), now.unresolved());
  }

  @Override
  public List<DeleteOutcome> delete(List<String> digests) {
    return inParallel(digests, this::delete);
  }

  private DeleteOutcome delete(String digest) {
    RegistryHttp.Response response;
    try {
      response = http.send("DeleteManifest", "DELETE", base.resolve("manifests/" + digest), Map.of(), 0, scope("delete"));
    } catch (RegistryException e) {
      return DeleteOutcome.failed(digest, "RequestFailed", e.getMessage());
    }
    int code = response.status();
    if (code == 202 || code == 200) {
      return DeleteOutcome.deleted(digest);
    } else if (code == 404) {
      return DeleteOutcome.alreadyGone(digest);
    }
    String hint = code == 405 ? "; the registry has deletes disabled (distribution: storage.delete.enabled: true)" : "";
    return DeleteOutcome.failed(digest, "HTTP" + code, response.errorText() + hint);
  }

  @Override
  public Map<String, Integer> apiCalls() {
    return calls.snapshot();
  }

  @Override
  public void close() {
    // java.net.http.HttpClient has no close on Java 17; its threads are daemons.
  }

  private String scope(String action) {
    return "repository:" + repository.name() + ":" + action;
  }

  private static Map<String, String> accept() {
    return Map.of("Accept", String.join(", ", ManifestParser.ACCEPTED));
  }

  private static String contentType(RegistryHttp.Response response) {
    return response.header("Content-Type").map(t -> t.split(";")[0].trim()).orElse(null);
  }

  private static void expect(RegistryHttp.Response response, String what) {
    if (response.status() != 200) {
      String hint = response.status() == 401 || response.status() == 403
          ? "; check the credentials for the registry (--docker-config, spec.registry.credentialsSecret)" : "";
      throw new RegistryException("could not " + what + ": HTTP " + response.status() + " " + response.errorText() + hint);
    }
  }

  private static JsonNode json(RegistryHttp.Response response, String what) {
    try {
      JsonNode node = JSON.readTree(response.body());
      if (node == null || !node.isObject()) {
        throw new IOException("not an object");
      }
      return node;
    } catch (IOException e) {
      throw new RegistryException(what + " (GET " + response.uri() + "): the registry's answer is not a JSON object: "
          + RegistryHttp.printable(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8), 80));
    }
  }

  static String hex(String algorithm, byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
