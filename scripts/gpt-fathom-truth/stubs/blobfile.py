"""Stand-in for `blobfile`: local files only."""
import os


def BlobFile(path, mode="r", **kwargs):
    if "b" not in mode:
        return open(path, mode, encoding="utf-8")
    return open(path, mode)


def exists(path):
    return os.path.exists(path)


def dirname(path):
    return os.path.dirname(path)


def makedirs(path):
    os.makedirs(path, exist_ok=True)


def isdir(path):
    # GPT-Fathom calls bf.isdir on a path relative to registry/data while it
    # opens files through open_by_file_pattern (which prefixes registry/data);
    # real blobfile resolves the relative path against the cwd, where it is
    # not a directory either.
    return os.path.isdir(path)


def listdir(path):
    return os.listdir(path)
