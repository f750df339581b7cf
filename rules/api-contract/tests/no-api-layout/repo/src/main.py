import sys


def main() -> int:
    print("parcel-cli", " ".join(sys.argv[1:]))
    return 0
