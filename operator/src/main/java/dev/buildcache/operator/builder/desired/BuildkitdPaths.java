package dev.buildcache.operator.builder.desired;

/** Where buildkitd keeps its socket and state, which differs between rootless and rootful images. */
public record BuildkitdPaths(String socket, String stateDir) {
  public static final String CONFIG_DIR = "/etc/buildkit";
  public static final String CONFIG_FILE = CONFIG_DIR + "/buildkitd.toml";
  public static final String CERTS_DIR = "/certs";

  public static BuildkitdPaths of(boolean rootless) {
    return rootless
        ? new BuildkitdPaths("unix:///run/user/1000/buildkit/buildkitd.sock", "/home/user/.local/share/buildkit")
        : new BuildkitdPaths("unix:///run/buildkit/buildkitd.sock", "/var/lib/buildkit");
  }
}
