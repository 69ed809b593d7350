using System.Net;
using NetTrace.Analyzer.Decode;
using NetTrace.Analyzer.Flows;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Findings;

/// <summary>
/// An endpoint as findings compare and print it. From a capture it is the address and port, printed as "ip:port"
/// only when a finding names it. A handshake given as a record (recordings, tests) whose text is not that canonical
/// form keeps its own text (<see cref="Text"/> &gt;= 0), so grouping by endpoint stays grouping by the text.
/// </summary>
internal readonly record struct Endpoint(IpAddr Ip, ushort Port, int Text)
{
    public bool SameAddressAndPort(in Endpoint o) => Port == o.Port && Ip.Equals(o.Ip);
}

/// <summary>One connection attempt as the findings need it: a struct without references (~130 bytes), no strings.</summary>
internal struct HandshakeFact
{
    public Endpoint Client, Server;
    public double SynTime;
    /// <summary>First SYN → SYN-ACK in µs; NaN when there was none.</summary>
    public double SynAckRtt;
    public int SynRetransmits;
    /// <summary>This handshake's SYN gaps are Gaps[GapsStart .. GapsStart + GapCount).</summary>
    public int GapsStart, GapCount;
    public HandshakeOutcome Outcome;
    public uint Isn;
    public bool HasIsn;
    /// <summary>Both endpoints are real ip:port (the SNAT detectors skip the others).</summary>
    public bool Parsed;
    public int File;
}

/// <summary>
/// Every handshake of a run as compact structs in chunked storage, built once for the findings and detectors instead
/// of one <see cref="Handshake"/> record (with its strings) per connection.
/// </summary>
internal sealed class HandshakeTable(int residentChunks = ChunkedStore<HandshakeFact>.DefaultMaxResidentChunks) : IDisposable
{
    private readonly ChunkedStore<HandshakeFact> _facts = new(residentChunks);
    private readonly List<double> _gaps = [];
    private readonly List<string> _texts = [];
    private readonly Dictionary<string, int> _textIds = [];
    private readonly List<string> _files = [];
    private readonly Dictionary<string, int> _fileIds = [];
    // Pod / service names from metadata enrichment (recordings), by endpoint text; empty for captures.
    private readonly Dictionary<string, string> _clientNames = [];
    private readonly Dictionary<string, string> _serverNames = [];

    public int Count => _facts.Count;
    public HandshakeFact this[int i] => _facts[i];

    /// <summary>The handshakes of a run: capture segments are copied from their compact store, records one by one.</summary>
    public static HandshakeTable From(IReadOnlyList<Handshake> handshakes, int residentChunks = ChunkedStore<HandshakeFact>.DefaultMaxResidentChunks)
    {
        var t = new HandshakeTable(residentChunks);
        if (handshakes is SegmentedList<Handshake> segmented)
        {
            foreach (var segment in segmented.Segments)
            {
                if (segment is FinishedFlows.HandshakeList fromCapture) fromCapture.AppendTo(t);
                else foreach (var h in segment) t.Add(h);
            }
        }
        else foreach (var h in handshakes) t.Add(h);
        return t;
    }

    public void Dispose() => _facts.Dispose();

    public double Gap(in HandshakeFact h, int i) => _gaps[h.GapsStart + i];

    public double GapSum(in HandshakeFact h)
    {
        double sum = 0;
        for (int i = 0; i < h.GapCount; i++) sum += _gaps[h.GapsStart + i];
        return sum;
    }

    public IEnumerable<double> Gaps(HandshakeFact h)
    {
        for (int i = 0; i < h.GapCount; i++) yield return _gaps[h.GapsStart + i];
    }

    /// <summary>The endpoint as the handshake record would show it ("ip:port", "[v6]:port").</summary>
    public string Text(in Endpoint e) => e.Text >= 0 ? _texts[e.Text] : e.Ip.WithPort(e.Port);

    /// <summary>The client's pod as enrichment named it (Handshake.ClientName), null when unknown.</summary>
    public string? ClientName(in Endpoint e) => _clientNames.Count == 0 ? null : _clientNames.GetValueOrDefault(Text(e));

    /// <summary>The server's pod, Service or node as enrichment named it (Handshake.ServerName), null when unknown.</summary>
    public string? ServerName(in Endpoint e) => _serverNames.Count == 0 ? null : _serverNames.GetValueOrDefault(Text(e));

    /// <summary>The input file the handshake came from ("" when unknown), as Handshake.SourceFile.</summary>
    public string FileOf(in HandshakeFact h) => _files[h.File];

    public int FileId(string? path)
    {
        path ??= "";
        if (!_fileIds.TryGetValue(path, out int id))
        {
            id = _files.Count;
            _files.Add(path);
            _fileIds.Add(path, id);
        }
        return id;
    }

    /// <summary>A handshake from a capture's compact results.</summary>
    public void Add(IpAddr client, ushort clientPort, IpAddr server, ushort serverPort, double synTime, double synAckRtt,
        int synRetransmits, ReadOnlySpan<double> gaps, HandshakeOutcome outcome, uint isn, int file)
    {
        int start = _gaps.Count;
        foreach (double g in gaps) _gaps.Add(g);
        _facts.Add(new HandshakeFact
        {
            Client = new Endpoint(client, clientPort, -1),
            Server = new Endpoint(server, serverPort, -1),
            SynTime = synTime,
            SynAckRtt = synAckRtt,
            SynRetransmits = synRetransmits,
            GapsStart = start,
            GapCount = gaps.Length,
            Outcome = outcome,
            Isn = isn,
            HasIsn = true,
            Parsed = true,
            File = file,
        });
    }

    public void Add(Handshake h)
    {
        int start = _gaps.Count;
        foreach (double g in h.SynRetransmitGapsMicros) _gaps.Add(g);
        var client = Parse(h.Client, out bool clientOk);
        var server = Parse(h.Server, out bool serverOk);
        if (!string.IsNullOrEmpty(h.ClientName)) _clientNames[h.Client] = h.ClientName;
        if (!string.IsNullOrEmpty(h.ServerName)) _serverNames[h.Server] = h.ServerName;
        _facts.Add(new HandshakeFact
        {
            Client = client,
            Server = server,
            SynTime = h.SynTime,
            SynAckRtt = h.SynAckRttMicros ?? double.NaN,
            SynRetransmits = h.SynRetransmits,
            GapsStart = start,
            GapCount = _gaps.Count - start,
            Outcome = h.Outcome,
            Isn = h.Isn ?? 0,
            HasIsn = h.Isn is not null,
            Parsed = clientOk && serverOk,
            File = FileId(h.SourceFile),
        });
    }

    private Endpoint Parse(string text, out bool ok)
    {
        ok = IPEndPoint.TryParse(text, out var ep);
        IpAddr ip = default;
        ushort port = 0;
        if (ok)
        {
            Span<byte> b = stackalloc byte[16];
            ep!.Address.TryWriteBytes(b, out int n);
            ip = n == 4 ? IpAddr.FromV4(b) : IpAddr.FromV6(b);
            port = (ushort)ep.Port;
            if (ip.WithPort(port) == text) return new Endpoint(ip, port, -1);
        }
        if (!_textIds.TryGetValue(text, out int id))
        {
            id = _texts.Count;
            _texts.Add(text);
            _textIds.Add(text, id);
        }
        return new Endpoint(ip, port, id);
    }
}
