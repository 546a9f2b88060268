package dev.buildcache.operator.registry.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.buildcache.operator.gc.RepositoryImage;
import dev.buildcache.operator.registry.ApiCalls;
import dev.buildcache.operator.registry.ManifestParser;
import dev.buildcache.operator.registry.RegistryClient;
import dev.buildcache.operator.registry.RegistryException;
import dev.buildcache.operator.registry.RepositoryReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OCI distribution API over {@code java.net.http}: tags list with {@code Link} pagination, manifest
 * {@code HEAD}/{@code GET} with {@code Accept}, {@code DELETE} by digest; Basic and Bearer-token auth.
 *
 * <p>The API has no push or pull times and cannot list untagged manifests: an image's age and last use are the
 * newest {@code buildkit/createdat} layer annotation, and blobs are freed only by the registry's own garbage
 * collection.
 */
public final class OciRegistryClient implements RegistryClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
  static final int PAGE_SIZE = 1000;
  static final int MAX_ATTEMPTS = 4;

  private final RepositoryReference repository;
  private final String base;
  private final DockerCredentials credentials;
  private final HttpClient http;
  private final ApiCalls calls = new ApiCalls();
  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private final Duration backoff;

  public OciRegistryClient(RepositoryReference repository, boolean insecure, DockerCredentials credentials) {
    this(repository, insecure, credentials, Duration.ofMillis(200));
  }

  OciRegistryClient(RepositoryReference repository, boolean insecure, DockerCredentials credentials, Duration backoff) {
    this.repository = repository;
    this.base = (insecure ? "http://" : "https://") + repository.host() + "/v2/" + repository.name();
    this.credentials = credentials;
    this.backoff = backoff;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NORMAL).build();
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
  public List<RepositoryImage> scan() {
    Map<String, List<String>> tagsByDigest = tagsByDigest();
    List<RepositoryImage> images = new ArrayList<>();
    Map<String, RepositoryImage> children = new TreeMap<>();
    for (Map.Entry<String, List<String>> entry : tagsByDigest.entrySet()) {
      RepositoryImage image = fetch(entry.getKey(), entry.getValue());
      images.add(image);
      for (String child : image.children()) {
        if (!tagsByDigest.containsKey(child) && !children.containsKey(child)) {
          children.put(child, fetch(child, List.of()));
        }
      }
    }
    images.addAll(children.values());
    return images;
  }

  /** Every tag, resolved to the digest it points at now. */
  private Map<String, List<String>> tagsByDigest() {
    Map<String, List<String>> byDigest = new TreeMap<>();
    for (String tag : listTags()) {
      headDigest(tag).ifPresent(digest -> byDigest.computeIfAbsent(digest, d -> new ArrayList<>()).add(tag));
    }
    byDigest.values().forEach(tags -> tags.sort(String::compareTo));
    return byDigest;
  }

  List<String> listTags() {
    List<String> tags = new ArrayList<>();
    String url = base + "/tags/list?n=" + PAGE_SIZE;
    while (url != null) {
      HttpResponse<byte[]> response = send("ListTags", HttpRequest.newBuilder(URI.create(url)).GET(), "pull");
      if (response.statusCode() == 404) {
        return tags;
      }
      expect(response, 200, "list tags");
      try {
        for (JsonNode t : JSON.readTree(response.body()).path("tags")) {
          tags.add(t.asText());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      url = response.headers().firstValue("Link").map(this::nextUrl).orElse(null);
    }
    return tags;
  }

  private String nextUrl(String link) {
    Matcher m = NEXT_LINK.matcher(link);
    if (!m.find()) {
      return null;
    }
    String next = m.group(1);
    if (next.startsWith("http")) {
      return next;
    }
    URI b = URI.create(base);
    return b.getScheme() + "://" + b.getRawAuthority() + next;
  }

  private Optional<String> headDigest(String reference) {
    HttpResponse<byte[]> response = send("HeadManifest", manifestRequest(reference).method("HEAD", HttpRequest.BodyPublishers.noBody()), "pull");
    if (response.statusCode() == 404) {
      return Optional.empty();
    }
    expect(response, 200, "read manifest " + reference);
    return response.headers().firstValue("Docker-Content-Digest");
  }

  private RepositoryImage fetch(String digest, List<String> tags) {
    HttpResponse<byte[]> response = send("GetManifest", manifestRequest(digest).GET(), "pull");
    expect(response, 200, "read manifest " + digest);
    ManifestParser.ParsedManifest manifest = ManifestParser.parse(response.body(),
        response.headers().firstValue("Content-Type").orElse(null));
    String actual = "sha256:" + sha256(response.body());
    if (!actual.equals(digest)) {
      throw new IllegalStateException("registry returned manifest " + actual + " for " + digest);
    }
    return new RepositoryImage(digest, tags, manifest.cache(), manifest.newestCreatedAt(), manifest.newestCreatedAt(),
        response.body().length, manifest.blobs(), manifest.children());
  }

  @Override
  public Map<String, Optional<ImageState>> reread(Collection<RepositoryImage> images) {
    // Tags are the only thing that can change for a digest here: list them again and resolve each.
    Map<String, List<String>> now = tagsByDigest();
    Map<String, Optional<ImageState>> out = new LinkedHashMap<>();
    for (RepositoryImage image : images) {
      List<String> tags = now.getOrDefault(image.digest(), List.of());
      out.put(image.digest(), Optional.of(new ImageState(tags, image.pushedAt(), image.lastUsed())));
    }
    return out;
  }

  @Override
  public List<DeleteOutcome> delete(List<String> digests) {
    List<DeleteOutcome> outcomes = new ArrayList<>();
    for (String digest : digests) {
      HttpResponse<byte[]> response = send("DeleteManifest",
          HttpRequest.newBuilder(URI.create(base + "/manifests/" + digest)).DELETE(), "delete");
      int code = response.statusCode();
      if (code == 202 || code == 200 || code == 404) {
        outcomes.add(DeleteOutcome.deleted(digest));
      } else {
        outcomes.add(DeleteOutcome.failed(digest, "HTTP" + code, errorText(response)));
      }
    }
    return outcomes;
  }

  @Override
  public Map<String, Integer> apiCalls() {
    return calls.snapshot();
  }

  @Override
  public void close() {
    // java.net.http.HttpClient has no close on Java 17; its threads are daemons.
  }

  private HttpRequest.Builder manifestRequest(String reference) {
    return HttpRequest.newBuilder(URI.create(base + "/manifests/" + reference))
        .header("Accept", String.join(", ", ManifestParser.ACCEPTED));
  }

  /** Sends with auth (answering a Bearer or Basic challenge once) and retries 429 and 5xx with backoff. */
  private HttpResponse<byte[]> send(String operation, HttpRequest.Builder request, String action) {
    request.timeout(Duration.ofSeconds(60));
    String scope = "repository:" + repository.name() + ":" + ("delete".equals(action) ? "delete" : "pull");
    authorize(request, scope);
    HttpResponse<byte[]> response = null;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      calls.count(operation);
      response = exchange(request.build());
      if (response.statusCode() == 401) {
        String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
        if (!answer(challenge, scope)) {
          return response;
        }
        authorize(request, scope);
        calls.count(operation);
        response = exchange(request.build());
      }
      if (response.statusCode() != 429 && response.statusCode() < 500) {
        return response;
      }
      sleep(backoff.multipliedBy(1L << (attempt - 1)));
    }
    return response;
  }

  private void authorize(HttpRequest.Builder request, String scope) {
    String token = tokens.get(scope);
    if (token != null) {
      request.setHeader("Authorization", token);
    }
  }

  /** Obtains credentials for a 401 challenge; false when there is nothing more to try. */
  private boolean answer(String challenge, String scope) {
    if (tokens.containsKey(scope) && !tokens.get(scope).startsWith("Bearer ")) {
      return false;
    }
    Optional<String> userPassword = credentials.userAndPassword(repository.host());
    if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
      if (userPassword.isEmpty()) {
        return false;
      }
      tokens.put(scope, "Basic " + Base64.getEncoder().encodeToString(userPassword.get().getBytes(StandardCharsets.UTF_8)));
      return true;
    }
    if (!challenge.regionMatches(true, 0, "Bearer", 0, 6)) {
      return false;
    }
    Map<String, String> params = new TreeMap<>();
    Matcher m = CHALLENGE_PARAM.matcher(challenge);
    while (m.find()) {
      params.put(m.group(1), m.group(2));
    }
    String realm = params.get("realm");
    if (realm == null) {
      return false;
    }
    StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? "&" : "?");
    if (params.containsKey("service")) {
      url.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8)).append('&');
    }
    url.append("scope=").append(URLEncoder.encode(params.getOrDefault("scope", scope), StandardCharsets.UTF_8));
    HttpRequest.Builder tokenRequest = HttpRequest.newBuilder(URI.create(url.toString())).GET().timeout(Duration.ofSeconds(30));
    userPassword.ifPresent(up -> tokenRequest.header("Authorization",
        "Basic " + Base64.getEncoder().encodeToString(up.getBytes(StandardCharsets.UTF_8))));
    calls.count("Token");
    HttpResponse<byte[]> response = exchange(tokenRequest.build());
    if (response.statusCode() != 200) {
      throw new RegistryException("token service " + realm + " refused: HTTP " + response.statusCode());
    }
    try {
      JsonNode body = JSON.readTree(response.body());
      String token = body.hasNonNull("token") ? body.get("token").asText() : body.path("access_token").asText();
      tokens.put(scope, "Bearer " + token);
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private HttpResponse<byte[]> exchange(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new RegistryException("cannot reach " + request.uri().getHost() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryException("interrupted", e);
    }
  }

  private static void expect(HttpResponse<byte[]> response, int status, String what) {
    if (response.statusCode() != status) {
      throw new RegistryException("could not " + what + ": HTTP " + response.statusCode() + " " + errorText(response));
    }
  }

  private static String errorText(HttpResponse<byte[]> response) {
    String body = new String(response.body() == null ? new byte[0] : response.body(), StandardCharsets.UTF_8).replaceAll("\\s+", " ").trim();
    return body.length() > 200 ? body.substring(0, 200) + "..." : body;
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryException("interrupted", e);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
