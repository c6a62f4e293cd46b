# Homebrew formula: builds ecr-login from source with cargo (`brew install --HEAD ecr-login`
# from a tap holding this file). It is head-only until a release tarball exists: then add `url` and
# its `sha256`. `homepage` and `head` name the project's public repository.
class EcrLogin < Formula
  desc "Amazon ECR credential helper for docker, podman, nerdctl and CI"
  homepage "https://github.com/ecr-login/ecr-login"
  license "Apache-2.0"
  head "https://github.com/ecr-login/ecr-login.git", branch: "main"

  depends_on "rust" => :build

  conflicts_with "docker-credential-helper-ecr", because: "both install docker-credential-ecr-login"

  def install
    system "cargo", "install", *std_cargo_args
    man1.install "packaging/man/docker-credential-ecr-login.1"
  end

  test do
    assert_match "ecr-login", shell_output("#{bin}/docker-credential-ecr-login version")
    assert_equal "credentials not found in native keychain\n",
                 pipe_output("#{bin}/docker-credential-ecr-login get", "docker.io", 1)
  end
end
