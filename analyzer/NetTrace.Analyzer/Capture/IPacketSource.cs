using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Capture;

/// <summary>
/// A stream of captured frames from one file. TryRead returns false at the end of the file or when damage stops
/// reading; then Complete says which, and Problems says where (frame number, file offset) and why.
/// </summary>
public interface IPacketSource : IDisposable
{
    string Format { get; }
    /// <summary>Link types of the file's interfaces (one for pcap, one per IDB for pcapng).</summary>
    IReadOnlyList<int> LinkTypes { get; }
    long Position { get; }
    long Length { get; }
    bool Complete { get; }
    IReadOnlyList<InputProblem> Problems { get; }
    IReadOnlyList<string> Comments { get; }
    bool TryRead(out RawFrame frame);
}

/// <summary>Common bookkeeping for the file readers.</summary>
public abstract class PacketSourceBase : IPacketSource
{
    private readonly List<InputProblem> _problems = [];
    private protected readonly List<int> _linkTypes = [];
    private protected readonly List<string> _comments = [];

    protected PacketSourceBase(string path) => SourcePath = path;

    public string SourcePath { get; }
    public abstract string Format { get; }
    public IReadOnlyList<int> LinkTypes => _linkTypes;
    public abstract long Position { get; }
    public abstract long Length { get; }
    public bool Complete { get; protected set; } = true;
    public IReadOnlyList<InputProblem> Problems => _problems;
    public IReadOnlyList<string> Comments => _comments;
    public abstract bool TryRead(out RawFrame frame);
    public abstract void Dispose();

    protected void Warn(string message, long? frame, long? offset) =>
        _problems.Add(new InputProblem(SourcePath, ProblemSeverity.Warning, message, frame, offset));

    protected void Info(string message, long? frame, long? offset) =>
        _problems.Add(new InputProblem(SourcePath, ProblemSeverity.Info, message, frame, offset));

    /// <summary>Reading stops here: the rest of the file cannot be trusted or is missing.</summary>
    protected bool Stop(string message, long? frame, long? offset)
    {
        Complete = false;
        _problems.Add(new InputProblem(SourcePath, ProblemSeverity.Warning, message, frame, offset));
        return false;
    }
}
