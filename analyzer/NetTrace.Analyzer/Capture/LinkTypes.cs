namespace NetTrace.Analyzer.Capture;

/// <summary>LINKTYPE_* numbers (tcpdump.org/linktypes.html) the decoder understands.</summary>
public static class LinkTypes
{
    public const int Null = 0;          // BSD loopback, address family in the capturing host's byte order
    public const int Ethernet = 1;
    public const int RawOpenBsd = 12;   // DLT_RAW as numbered on OpenBSD (pcapng writers copy it)
    public const int RawBsd = 14;       // DLT_RAW on BSD/OS
    public const int Raw = 101;
    public const int Loop = 108;        // OpenBSD loopback, address family in network byte order
    public const int LinuxSll = 113;
    public const int Ipv4 = 228;
    public const int Ipv6 = 229;
    public const int LinuxSll2 = 276;

    public static bool IsSupported(int linkType) => linkType is Null or Ethernet or RawOpenBsd or RawBsd or Raw or Loop
        or LinuxSll or Ipv4 or Ipv6 or LinuxSll2;

    public static string Name(int linkType) => linkType switch
    {
        Null => "NULL",
        Ethernet => "ETHERNET",
        RawOpenBsd or RawBsd or Raw => "RAW",
        Loop => "LOOP",
        LinuxSll => "LINUX_SLL",
        Ipv4 => "IPV4",
        Ipv6 => "IPV6",
        LinuxSll2 => "LINUX_SLL2",
        105 => "IEEE802_11",
        127 => "IEEE802_11_RADIOTAP",
        _ => "LINKTYPE_" + linkType.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
