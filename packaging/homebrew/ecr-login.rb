# Homebrew formula: installs a release's tarball for the machine's system and architecture, or
# builds ecr-login from source with cargo (`brew install --HEAD`). This file is the template:
# packaging/write-manifests fills each @VERSION@, @FILE name@ and @SHA256 name@ from a release's
# SHA256SUMS and writes the result into the release as ecr-login.rb, the file a tap holds (Homebrew
# installs formulae from taps only). `homepage` and the URLs name the project's public repository.
class EcrLogin < Formula
  desc "Amazon ECR credential helper for docker, podman, nerdctl and CI"
  homepage "https://github.com/ecr-login/ecr-login"
  version "@VERSION@"
  license "Apache-2.0"

  on_macos do
    on_arm do
      url "https://github.com/ecr-login/ecr-login/releases/download/v@VERSION@/@FILE aarch64-apple-darwin.tar.gz@"
      sha256 "@SHA256 aarch64-apple-darwin.tar.gz@"
    end
    on_intel do
      url "https://github.com/ecr-login/ecr-login/releases/download/v@VERSION@/@FILE x86_64-apple-darwin.tar.gz@"
      sha256 "@SHA256 x86_64-apple-darwin.tar.gz@"
    end
  end

  on_linux do
    on_arm do
      url "https://github.com/ecr-login/ecr-login/releases/download/v@VERSION@/@FILE aarch64-linux.tar.gz@"
      sha256 "@SHA256 aarch64-linux.tar.gz@"
    end
    on_intel do
      url "https://github.com/ecr-login/ecr-login/releases/download/v@VERSION@/@FILE x86_64-linux.tar.gz@"
      sha256 "@SHA256 x86_64-linux.tar.gz@"
    end
  end

  head do
    url "https://github.com/ecr-login/ecr-login.git", branch: "main"
    depends_on "rust" => :build
  end

  conflicts_with "docker-credential-helper-ecr", because: "both install docker-credential-ecr-login"

  def install
    if build.head?
      system "cargo", "install", *std_cargo_args
      man1.install "packaging/man/docker-credential-ecr-login.1"
    else
      # The tarball's one directory is where brew unpacked it: the binary, its man page, README, LICENSE.
      bin.install "docker-credential-ecr-login"
      man1.install "docker-credential-ecr-login.1"
    end
  end

  test do
    assert_match "ecr-login", shell_output("#{bin}/docker-credential-ecr-login version")
    assert_equal "credentials not found in native keychain\n",
                 pipe_output("#{bin}/docker-credential-ecr-login get", "docker.io", 1)
  end
end
