// cos-manifest: writes the hash manifest a site ships for a model folder, so the
// Transformers.js adapter (js/integrations/transformers.js) can name every file by SHA-256
// before downloading it: {"<path>": {"sha256": "<hex>", "size": n}, ...}, paths relative
// to the folder with '/' separators, sorted bytewise, hidden entries (".git", ".cache",
// ".gitattributes") skipped, symlinks followed (Hugging Face cache snapshots are symlinks).
// Files are hashed in 1 MiB chunks with the core's Sha256Stream: constant memory.
// Usage: cos-manifest <folder> [-o <out.json>]   (stdout by default)
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "sha256_stream.h"

namespace fs = std::filesystem;

namespace {

constexpr size_t kChunkBytes = 1 << 20;

struct FileEntry {
  std::string path;  // relative, '/'-separated, UTF-8 as stored on disk
  fs::path full;
};

// JSON string literal: escapes quotes, backslashes and control characters; other bytes as-is.
std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool hidden(const fs::path& name) {
  const std::string s = name.filename().string();
  return !s.empty() && s[0] == '.';
}

// Every regular file under root (following symlinks), skipping hidden names at any depth.
bool collect(const fs::path& root, std::vector<FileEntry>* files, std::string* error) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (hidden(it->path())) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    // fs::status follows symlinks (the cached entry type would not); sockets, fifos, dangling links skipped.
    if (!fs::is_regular_file(fs::status(it->path(), ec))) continue;
    // Lexically: fs::relative() would resolve a symlink to its target's name.
    files->push_back({it->path().lexically_relative(root).generic_string(), it->path()});
  }
  if (ec) {
    *error = root.string() + ": " + ec.message();
    return false;
  }
  return true;
}

bool hash_file(const fs::path& file, std::vector<uint8_t>* buffer, std::string* hex, uint64_t* size,
               std::string* error) {
  FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) {
    *error = file.string() + ": " + std::strerror(errno);
    return false;
  }
  cosp::Sha256Stream stream;
  size_t n;
  while ((n = std::fread(buffer->data(), 1, buffer->size(), f)) > 0) stream.update(buffer->data(), n);
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) {
    *error = file.string() + ": read error";
    return false;
  }
  *size = stream.bytes_hashed();
  const cosp::Digest digest = stream.finish();
  *hex = cosp::to_hex(digest.data(), digest.size());
  return true;
}

int usage() {
  std::fprintf(stderr, "usage: cos-manifest <folder> [-o <out.json>]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string folder;
  std::string output;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "-o" || arg == "--output") && i + 1 < argc) {
      output = argv[++i];
    } else if (arg == "-h" || arg == "--help") {
      usage();
      return 0;
    } else if (folder.empty() && !arg.empty() && arg[0] != '-') {
      folder = arg;
    } else {
      return usage();
    }
  }
  if (folder.empty()) return usage();
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    std::fprintf(stderr, "cos-manifest: %s is not a folder\n", folder.c_str());
    return 1;
  }

  fs::path root = fs::path(folder).lexically_normal();
  if (root.filename().empty() && root.has_parent_path() && root != root.root_path()) root = root.parent_path();  // "dir/" -> "dir"
  std::vector<FileEntry> files;
  std::string error;
  if (!collect(root, &files, &error)) {
    std::fprintf(stderr, "cos-manifest: %s\n", error.c_str());
    return 1;
  }
  std::sort(files.begin(), files.end(), [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });

  std::vector<uint8_t> buffer(kChunkBytes);
  std::string json = "{";
  for (size_t i = 0; i < files.size(); ++i) {
    std::string hex;
    uint64_t size = 0;
    if (!hash_file(files[i].full, &buffer, &hex, &size, &error)) {
      std::fprintf(stderr, "cos-manifest: %s\n", error.c_str());
      return 1;
    }
    json += i ? ",\n  " : "\n  ";
    json += json_string(files[i].path) + ": {\"sha256\": \"" + hex + "\", \"size\": " + std::to_string(size) + "}";
  }
  json += files.empty() ? "}\n" : "\n}\n";

  FILE* out = output.empty() ? stdout : std::fopen(output.c_str(), "wb");
  if (!out) {
    std::fprintf(stderr, "cos-manifest: %s: %s\n", output.c_str(), std::strerror(errno));
    return 1;
  }
  const bool ok = std::fwrite(json.data(), 1, json.size(), out) == json.size() && std::fflush(out) == 0;
  if (out != stdout) std::fclose(out);
  if (!ok) {
    std::fprintf(stderr, "cos-manifest: write failed\n");
    return 1;
  }
  return 0;
}
