#!/usr/bin/env bash
# Re-download the browser builds that our offline GraphiQL page (graph/graphiql.py) serves itself.
#
# Versions and file digests are pinned below, so running this again reproduces graph/static/graphiql/vendor/
# byte for byte, and a changed upstream file fails loudly instead of slipping in. To upgrade: change a version,
# run with UPDATE_DIGESTS=1, read the printed digests into PINS, check the page in a browser, commit.
#
# Needs: npm (only `npm pack`, which talks to the npm registry), tar, sha256sum.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
static_dir="$repo_root/graph/static/graphiql"
vendor_dir="$static_dir/vendor"

# package@version | file inside the tarball | name under vendor/ | sha256 of that file
PINS=(
  "react@18.3.1|package/umd/react.production.min.js|react.production.min.js|d949f1c3687aedadcedac85261865f29b17cd273997e7f6b2bfc53b2f9d4c4dd"
  "react-dom@18.3.1|package/umd/react-dom.production.min.js|react-dom.production.min.js|35f4f974f4b2bcd44da73963347f8952e341f83909e4498227d4e26b98f66f0d"
  "graphiql@3.8.3|package/graphiql.min.js|graphiql.min.js|22faab94067b695e5f7959619fbe686ebcc8955002a0c97d986bcbba4ad4bc2c"
  "graphiql@3.8.3|package/graphiql.min.css|graphiql.min.css|b1868247f8e0502cd869e581f5f3cb55b334862e7f51b1d6cbace11059b9adc2"
  "@graphiql/plugin-explorer@1.0.2|package/dist/index.umd.js|plugin-explorer.umd.js|083e37e501d3e3920a60e627b82191af056009124dce82a332e8ac74db6ca38b"
  "@graphiql/plugin-explorer@1.0.2|package/dist/style.css|plugin-explorer.css|762850cb69873400d0ab1737c6158aee91f5c38195bc4a30ee02a3c5d5af4e01"
)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Unpack each package once into $unpacked_dir (a global, because a $(...) subshell would lose the cache);
# npm pack checks the tarball against the registry's integrity hash.
declare -A unpacked=()
unpacked_dir=""
unpack() {
  local spec="$1"
  if [[ -z "${unpacked[$spec]:-}" ]]; then
    local dest tarball
    dest="$work/$(echo "$spec" | tr '/@' '__')"
    mkdir -p "$dest"
    tarball="$(cd "$work" && npm pack --silent "$spec" | tail -n 1)"
    tar -xzf "$work/$tarball" -C "$dest"
    unpacked[$spec]="$dest"
  fi
  unpacked_dir="${unpacked[$spec]}"
}

staging="$work/vendor"
mkdir -p "$staging/licenses"
failed=0
for pin in "${PINS[@]}"; do
  IFS='|' read -r spec inner name digest <<<"$pin"
  unpack "$spec"
  src="$unpacked_dir"
  cp "$src/$inner" "$staging/$name"
  actual="$(sha256sum "$staging/$name" | cut -d' ' -f1)"
  if [[ "$actual" != "$digest" ]]; then
    echo "digest mismatch for $spec $inner: pinned $digest, got $actual" >&2
    failed=1
  fi
  # Ship each package's licence text next to the code, as MIT asks.
  pkg="${spec%@*}"
  licence_file="$staging/licenses/$(echo "$pkg" | tr '/@' '__' | sed 's/^_//').LICENSE"
  if [[ -f "$src/package/LICENSE" ]]; then
    cp "$src/package/LICENSE" "$licence_file"
  fi
done

if [[ "$failed" == 1 && "${UPDATE_DIGESTS:-0}" != 1 ]]; then
  echo "refusing to replace $vendor_dir: upstream files differ from the pinned digests" >&2
  exit 1
fi

mkdir -p "$static_dir"
rm -rf "$vendor_dir"
mv "$staging" "$vendor_dir"

# VERSIONS.txt is generated from PINS so it can never disagree with what was downloaded.
{
  echo "# Vendored GraphiQL browser build, served by the API itself (graph/graphiql.py) so GraphiQL works offline."
  echo "# Regenerate with scripts/vendor_graphiql.sh; tests/test_graphiql.py checks every digest below."
  echo "#"
  echo "# graphql-ws (the graphql-transport-ws client used for subscriptions) and graphql-js 16.9.0 are bundled"
  echo "# inside graphiql.min.js by GraphiQL's own UMD build, so they need no separate file."
  echo "# @graphiql/plugin-explorer bundles graphiql-explorer (OneGraph, MIT); its tarball ships no LICENSE file,"
  echo "# its package.json says MIT (same GraphQL Contributors text as licenses/graphiql.LICENSE)."
  echo "#"
  echo "# package version licence file sha256"
  for pin in "${PINS[@]}"; do
    IFS='|' read -r spec inner name _ <<<"$pin"
    pkg="${spec%@*}"
    version="${spec##*@}"
    unpack "$spec"
    licence="$(node -e 'process.stdout.write(require(process.argv[1]).license)' "$unpacked_dir/package/package.json")"
    digest="$(sha256sum "$vendor_dir/$name" | cut -d' ' -f1)"
    echo "$pkg $version $licence vendor/$name $digest"
  done
} >"$static_dir/VERSIONS.txt"

if [[ "$failed" == 1 ]]; then
  echo "UPDATE_DIGESTS=1: vendored new files; copy the digests from VERSIONS.txt into PINS" >&2
fi
echo "vendored into $vendor_dir"
