package dev.buildcache.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.buildcache.operator.bundles.ClientBundle;
import dev.buildcache.operator.testing.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent hook, run by /bin/sh with Debian's jq and an {@code aws} on the PATH that answers as
 * {@code aws secretsmanager get-secret-value --query SecretString --output text} does (the secret's string, a newline)
 * and logs how it was called.
 */
class BundleHookTest {
  static final String SECRET = "buildcache/buildkite/shared/web";

  @TempDir
  Path dir;

  Commands.Result runHook(String region, String secretJson, int awsExit) throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.writeString(dir.resolve("secret.json"), secretJson);
    Path aws = bin.resolve("aws");
    Files.writeString(aws, "#!/bin/sh\necho \"$*\" >> " + dir.resolve("aws.log") + "\n"
        + (awsExit != 0 ? "echo 'An error occurred (AccessDeniedException)' >&2\nexit " + awsExit + "\n"
            : "cat " + dir.resolve("secret.json") + "\necho\n"));
    Files.setPosixFilePermissions(aws, PosixFilePermissions.fromString("rwxr-xr-x"));
    String hook = BundleHook.render(SECRET, region, dir.resolve("certs/buildkite/web").toString());
    return Commands.run(dir, Map.of("PATH", bin + ":" + System.getenv("PATH")), null, Duration.ofSeconds(30),
        List.of("/bin/sh", "-c", hook));
  }

  @Test
  void writesTheThreeFilesOwnerOnlyFromTheSecretWithTheInstanceRole() throws Exception {
    ClientBundle bundle = new ClientBundle("-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n", "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n");
    Commands.Result result = runHook("eu-west-1", bundle.json(), 0);
    assertThat(result.exit()).as(result.output()).isZero();
    Path certs = dir.resolve("certs/buildkite/web");
    assertThat(Files.readString(certs.resolve("ca.pem"))).isEqualTo(bundle.caPem());
    assertThat(Files.readString(certs.resolve("cert.pem"))).isEqualTo(bundle.certPem());
    assertThat(Files.readString(certs.resolve("key.pem"))).isEqualTo(bundle.keyPem());
    for (String file : List.of("ca.pem", "cert.pem", "key.pem")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(certs.resolve(file)))).as(file).isEqualTo("rw-------");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(certs))).isEqualTo("rwx------");
    assertThat(Files.readString(dir.resolve("aws.log")).trim())
        .isEqualTo("secretsmanager get-secret-value --region eu-west-1 --secret-id " + SECRET + " --query SecretString --output text");

    // a bundle fetched within the hour is kept: no call per job
    assertThat(runHook("eu-west-1", bundle.json(), 0).exit()).isZero();
    assertThat(Files.readAllLines(dir.resolve("aws.log"))).hasSize(1);
  }

  @Test
  void aSecretItCannotReadOrThatLacksAFileStopsTheJobAndLeavesNoHalfBundle() throws Exception {
    Commands.Result denied = runHook(null, "{}", 254);
    assertThat(denied.exit()).isEqualTo(1);
    assertThat(denied.output()).contains("buildcache: cannot read " + SECRET
        + " from Secrets Manager: the instance role needs secretsmanager:GetSecretValue on it");
    assertThat(Files.readString(dir.resolve("aws.log"))).doesNotContain("--region");

    Commands.Result partial = runHook(null, "{\"ca.pem\":\"CA\",\"cert.pem\":\"CERT\"}", 0);
    assertThat(partial.exit()).isEqualTo(1);
    assertThat(partial.output()).contains("buildcache: " + SECRET + " has no key.pem");
    try (var files = Files.list(dir.resolve("certs/buildkite/web"))) {
      assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("key.pem", ".key.pem.new");
    }
  }

  @Test
  void onlyValuesThatNeedNoQuotingReachTheScript() {
    assertThatThrownBy(() -> BundleHook.render("a;rm -rf /", null, "/etc/x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BundleHook.render("a", null, "/etc/$(x)")).isInstanceOf(IllegalArgumentException.class);
  }
}
