using System.Text;

namespace Helpdesk.Api.Attachments;

/// <summary>
/// What a file is, read from its first bytes and never from the client's Content-Type. The
/// name's extension only tells apart formats that share a container (a .docx is a zip, a .msg an
/// OLE file). Markup is served as plain text: a download must never run in our origin.
/// </summary>
public static class FileTypes
{
    public const string Binary = "application/octet-stream";
    public const int SniffLength = 8192;

    private static readonly (byte[] Magic, int Offset, string Type)[] Signatures =
    [
        ("%PDF-"u8.ToArray(), 0, "application/pdf"),
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], 0, "image/png"),
        ([0xFF, 0xD8, 0xFF], 0, "image/jpeg"),
        ("GIF87a"u8.ToArray(), 0, "image/gif"),
        ("GIF89a"u8.ToArray(), 0, "image/gif"),
        ("WEBP"u8.ToArray(), 8, "image/webp"),
        ([0x49, 0x49, 0x2A, 0x00], 0, "image/tiff"),
        ([0x4D, 0x4D, 0x00, 0x2A], 0, "image/tiff"),
        ("BM"u8.ToArray(), 0, "image/bmp"),
        ([0x50, 0x4B, 0x03, 0x04], 0, "application/zip"),
        ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], 0, "application/x-ole-storage"),
        ([0x1F, 0x8B], 0, "application/gzip"),
        ("7z"u8.ToArray(), 0, "application/x-7z-compressed"),
        ("MZ"u8.ToArray(), 0, "application/x-msdownload"),
    ];

    private static readonly Dictionary<string, string> ZipFormats = new(StringComparer.OrdinalIgnoreCase)
    {
        [".docx"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        [".xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        [".pptx"] = "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    };

    private static readonly Dictionary<string, string> OleFormats = new(StringComparer.OrdinalIgnoreCase)
    {
        [".doc"] = "application/msword",
        [".xls"] = "application/vnd.ms-excel",
        [".ppt"] = "application/vnd.ms-powerpoint",
        [".msg"] = "application/vnd.ms-outlook",
    };

    public static string Sniff(ReadOnlySpan<byte> head, string fileName)
    {
        foreach (var (magic, offset, type) in Signatures)
        {
            if (head.Length >= offset + magic.Length && head.Slice(offset, magic.Length).SequenceEqual(magic)
                && (type != "image/webp" || head.StartsWith("RIFF"u8)))
            {
                var extension = Path.GetExtension(fileName);
                return type switch
                {
                    "application/zip" when ZipFormats.TryGetValue(extension, out var office) => office,
                    "application/x-ole-storage" when OleFormats.TryGetValue(extension, out var legacy) => legacy,
                    _ => type,
                };
            }
        }

        return IsText(head) ? "text/plain; charset=utf-8" : Binary;
    }

    private static bool IsText(ReadOnlySpan<byte> head)
    {
        if (head.Length == 0 || head.Contains((byte)0))
        {
            return false;
        }

        // A multi-byte character cut by the end of the sniffed prefix is still text.
        var decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetDecoder();
        try
        {
            var chars = new char[head.Length];
            decoder.Convert(head, chars, flush: false, out _, out _, out _);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}

/// <summary>File names as stored and offered for download: no path, no control or reserved characters.</summary>
public static class FileNames
{
    public const int MaxLength = 200;
    private static readonly char[] Reserved = ['<', '>', ':', '"', '/', '\\', '|', '?', '*'];
    private static readonly string[] DeviceNames = ["CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "LPT1", "LPT2", "LPT3"];

    public static string Sanitize(string? name)
    {
        var lastPart = (name ?? string.Empty).Replace('\\', '/').Split('/').Last();
        var clean = new string(lastPart.Where(c => !char.IsControl(c) && !Reserved.Contains(c)).ToArray()).Trim().Trim('.').Trim();
        if (clean.Length == 0)
        {
            return "attachment";
        }

        if (DeviceNames.Contains(Path.GetFileNameWithoutExtension(clean), StringComparer.OrdinalIgnoreCase))
        {
            clean = "_" + clean;
        }

        if (clean.Length > MaxLength)
        {
            var extension = Path.GetExtension(clean);
            extension = extension.Length > 20 ? string.Empty : extension;
            clean = clean[..(MaxLength - extension.Length)] + extension;
        }

        return clean;
    }
}
