#!/usr/bin/env bash
# Starts a Java driver: one JVM serving the whole session (drivers/PROTOCOL.md).
#   run.sh BUILD_DIR v1|v2                 run the driver
#   run.sh BUILD_DIR v1|v2 --compile-only  compile only (build.py uses this)
#   run.sh BUILD_DIR v1|v2 --bench-direct HOST PORT CALLS
#                                          the plain program of conformance.bench
#                                          (bench/DirectV1.java or DirectV2.java), same JVM flags
# The driver classes live in BUILD_DIR/classes-<flavour>-<hash of the sources>,
# so a build made before the sources changed is recompiled here (about 2 s)
# instead of running stale code; the SDK jars in BUILD_DIR/lib stay as built.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$1"
flavour="$2"
mode="${3:-run}"
case "$flavour" in
  v1) flavour_src=V1Flavour.java ;;
  v2) flavour_src=V2Flavour.java ;;
  *) echo "run.sh: unknown flavour '$flavour' (v1 or v2)" >&2; exit 2 ;;
esac
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
jvm_flags=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto)
if [ "$mode" = "--bench-direct" ]; then
  direct="$here/bench/Direct${flavour^^}.java"
  exec "$java" "${jvm_flags[@]}" -cp "$build/lib/*" "$direct" "${@:4}"
fi
javac="${JAVA_HOME:+$JAVA_HOME/bin/}javac"
src="$here/src/milvusconf"
srcs=("$src/Driver.java" "$src/ConnectArgs.java" "$src/ErrorInfo.java" "$src/Flavour.java" "$src/$flavour_src")
hash="$(cat "${srcs[@]}" | sha1sum | cut -c1-16)"
classes="$build/classes-$flavour-$hash"
if [ ! -d "$classes" ]; then
  if [ ! -d "$build/lib" ]; then
    echo "run.sh: $build/lib is missing: build the driver first (build.py build)" >&2
    exit 2
  fi
  tmp="$(mktemp -d "$build/.classes-$flavour.XXXXXX")"
  if ! "$javac" -nowarn -encoding UTF-8 -Xlint:none -d "$tmp" -cp "$build/lib/*" "${srcs[@]}" >&2; then
    rm -rf "$tmp"
    echo "run.sh: compiling the $flavour driver against $build/lib failed" >&2
    exit 2
  fi
  # Another process may have won the race: keep its copy.
  mv -T "$tmp" "$classes" 2>/dev/null || rm -rf "$tmp"
fi
if [ "$mode" = "--compile-only" ]; then
  echo "$classes"
  exit 0
fi
exec "$java" "${jvm_flags[@]}" -cp "$classes:$build/lib/*" milvusconf.Driver "$flavour" "$build"
