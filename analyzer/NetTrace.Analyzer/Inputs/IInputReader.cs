using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Inputs;

/// <summary>
/// Extension point for input formats. To add one (e.g. the tracer's .ntrace recordings), put a public class with
/// a parameterless constructor that implements this interface anywhere in the NetTrace.Analyzer assembly
/// (recordings go in Recordings/): <see cref="InputReaders"/> finds it by reflection. Readers in other assemblies
/// call <see cref="InputReaders.Register"/> once at start-up.
///
/// The analyzer opens each input path, reads its first bytes, and asks every automatic reader
/// <see cref="CanRead"/>; the first that says yes reads the file and pushes what it finds into the
/// <see cref="AnalysisSink"/>: raw frames (decoded and analysed like capture packets) or finished observations
/// (handshakes, echoes, flows, findings, counts) plus problems. Readers must not throw on damaged input: report an
/// <see cref="InputProblem"/> with frame number and offset and return what was read.
/// Throw <see cref="Capture.InvalidCaptureException"/> only when the file is not this format at all.
/// </summary>
public interface IInputReader
{
    /// <summary>Short name, used by --reader to force this reader ("native", "libpcap", "ntrace").</summary>
    string Name { get; }

    /// <summary>Whether content detection may pick this reader; false for readers only chosen by name.</summary>
    bool Automatic => true;

    /// <summary>True when this reader recognizes the file (head = up to its first 64 bytes).</summary>
    bool CanRead(string path, ReadOnlySpan<byte> head);

    /// <summary>Reads the whole file into the sink and describes what was read.</summary>
    SourceInfo Read(string path, AnalysisSink sink, CancellationToken ct);
}
