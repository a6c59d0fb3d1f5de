#!/usr/bin/env bash
# Starts a Java driver: one JVM serving the whole session (drivers/PROTOCOL.md).
#   run.sh BUILD_DIR v1|v2                 run the driver
#   run.sh BUILD_DIR v1|v2 --compile-only  compile only (build.py uses this)
#   run.sh BUILD_DIR v1|v2 --bench-direct HOST PORT CALLS [WORKLOAD]
#                                          the plain program of conformance.bench
#                                          (bench/DirectV1.java or DirectV2.java with
#                                          bench/DirectLoop.java), same JVM flags
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
javac="${JAVA_HOME:+$JAVA_HOME/bin/}javac"
jvm_flags=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto)

# compiled NAME SOURCES...: prints BUILD_DIR/NAME-<hash of the sources>, compiling
# them against the SDK jars first when that folder does not exist yet.
compiled() {
  local name="$1"; shift
  local out="$build/$name-$(cat "$@" | sha1sum | cut -c1-16)"
  if [ ! -d "$out" ]; then
    if [ ! -d "$build/lib" ]; then
      echo "run.sh: $build/lib is missing: build the driver first (build.py build)" >&2
      exit 2
    fi
    local tmp
    tmp="$(mktemp -d "$build/.$name.XXXXXX")"
    if ! "$javac" -nowarn -encoding UTF-8 -Xlint:none -d "$tmp" -cp "$build/lib/*" "$@" >&2; then
      rm -rf "$tmp"
      echo "run.sh: compiling $name against $build/lib failed" >&2
      exit 2
    fi
    # Another process may have won the race: keep its copy.
    mv -T "$tmp" "$out" 2>/dev/null || rm -rf "$tmp"
  fi
  echo "$out"
}

if [ "$mode" = "--bench-direct" ]; then
  direct="Direct${flavour^^}"
  classes="$(compiled "bench-$flavour" "$here/bench/DirectLoop.java" "$here/bench/$direct.java")"
  exec "$java" "${jvm_flags[@]}" -cp "$classes:$build/lib/*" "$direct" "${@:4}"
fi
src="$here/src/milvusconf"
classes="$(compiled "classes-$flavour" "$src/Driver.java" "$src/ConnectArgs.java" "$src/ErrorInfo.java" \
  "$src/Flavour.java" "$src/$flavour_src")"
if [ "$mode" = "--compile-only" ]; then
  echo "$classes"
  exit 0
fi
exec "$java" "${jvm_flags[@]}" -cp "$classes:$build/lib/*" milvusconf.Driver "$flavour" "$build"
