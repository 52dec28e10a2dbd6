/// crossrun's version, as `crossrun --version` prints it.
public enum CrossRunVersion {
    public static let current = "0.1.0-dev"
}
