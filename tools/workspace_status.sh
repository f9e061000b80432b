#!/bin/sh
# Bazel workspace status: only STABLE_ keys, so unstamped builds stay
# reproducible and a rebuild happens only when the commit changes.
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit-dirty"
fi
echo "STABLE_GIT_COMMIT $commit"
