namespace NetTrace.Reports.Data;

public static class Endpoint
{
    /// <summary>The address part of "ip:port" or "[v6]:port"; the input unchanged when it has no port.</summary>
    public static string Host(string endpoint)
    {
        var span = HostSpan(endpoint);
        return span.Length == endpoint.Length ? endpoint : span.ToString();
    }

    public static ReadOnlySpan<char> HostSpan(string endpoint)
    {
        if (endpoint.StartsWith('['))
        {
            int close = endpoint.IndexOf(']');
            return close > 0 ? endpoint.AsSpan(1, close - 1) : endpoint;
        }
        int colon = endpoint.LastIndexOf(':');
        // More than one colon without brackets is a bare IPv6 address.
        return colon > 0 && endpoint.IndexOf(':') == colon ? endpoint.AsSpan(0, colon) : endpoint;
    }

    /// <summary>"name (endpoint)" when metadata named the endpoint.</summary>
    public static string WithName(string endpoint, string? name) =>
        string.IsNullOrWhiteSpace(name) ? endpoint : $"{name} ({endpoint})";
}
