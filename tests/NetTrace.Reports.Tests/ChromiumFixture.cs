using Microsoft.Playwright;
using NetTrace.TestSupport;

namespace NetTrace.Reports.Tests;

/// <summary>
/// One headless Debian chromium for the browser tests, driven by Playwright's bundled node driver. Playwright
/// never downloads a browser here: ExecutablePath points at the distribution's binary. Missing chromium fails
/// the tests with the reason (Privileged.RequireTool), it never skips them silently.
/// </summary>
public sealed class ChromiumFixture : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task<IBrowser> BrowserAsync()
    {
        if (_browser != null) return _browser;
        Privileged.RequireTool("chromium");
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"chromium is on PATH but not at {ChromiumPath}, where Debian's package puts it; run ./scripts/setup.sh");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Root in CI needs --no-sandbox; the rest keeps chromium from reaching the network on its own.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
            Timeout = 60_000,
        });
        return _browser;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser != null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }
}
