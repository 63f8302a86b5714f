using System.Runtime.InteropServices;

namespace XenStore.Ring.Xen;

/// <summary>
/// The few functions of libxenevtchn, libxengnttab and libxenctrl the daemon needs, bound at
/// run time. Symbols are looked up in the process first (so a preloaded stand-in for the
/// hypervisor libraries is honoured), then in the installed libraries. Anything missing is
/// reported at once with what to install or what is absent.
/// </summary>
internal sealed unsafe class XenNative
{
    public delegate* unmanaged<nint, uint, nint> EvtchnOpen;
    public delegate* unmanaged<nint, int> EvtchnClose;
    public delegate* unmanaged<nint, int> EvtchnFd;
    public delegate* unmanaged<nint, uint, int> EvtchnNotify;
    public delegate* unmanaged<nint, uint, uint, int> EvtchnBindInterdomain;
    public delegate* unmanaged<nint, uint, int> EvtchnBindVirq;
    public delegate* unmanaged<nint, uint, int> EvtchnUnbind;
    public delegate* unmanaged<nint, int> EvtchnPending;
    public delegate* unmanaged<nint, uint, int> EvtchnUnmask;
    public delegate* unmanaged<nint, uint, nint> GnttabOpen;
    public delegate* unmanaged<nint, uint, uint, int, nint> GnttabMapGrantRef;
    public delegate* unmanaged<nint, nint, uint, int> GnttabUnmap;
    public delegate* unmanaged<nint, nint, uint, nint> XcInterfaceOpen;
    public delegate* unmanaged<nint, uint, uint, byte*, int> XcDomainGetInfoList;

    private XenNative() { }

    /// <summary>Binds every function or throws <see cref="PlatformNotSupportedException"/> naming what is missing.</summary>
    public static XenNative Load()
    {
        var native = new XenNative();
        var evtchn = Library("libxenevtchn.so.1", "libxenevtchn1");
        var gnttab = Library("libxengnttab.so.1", "libxengnttab1");
        var ctrl = Library("libxenctrl.so.4.17", "libxenmisc4.17", "libxenctrl.so");
        native.EvtchnOpen = (delegate* unmanaged<nint, uint, nint>)Export(evtchn, "xenevtchn_open");
        native.EvtchnClose = (delegate* unmanaged<nint, int>)Export(evtchn, "xenevtchn_close");
        native.EvtchnFd = (delegate* unmanaged<nint, int>)Export(evtchn, "xenevtchn_fd");
        native.EvtchnNotify = (delegate* unmanaged<nint, uint, int>)Export(evtchn, "xenevtchn_notify");
        native.EvtchnBindInterdomain = (delegate* unmanaged<nint, uint, uint, int>)Export(evtchn, "xenevtchn_bind_interdomain");
        native.EvtchnBindVirq = (delegate* unmanaged<nint, uint, int>)Export(evtchn, "xenevtchn_bind_virq");
        native.EvtchnUnbind = (delegate* unmanaged<nint, uint, int>)Export(evtchn, "xenevtchn_unbind");
        native.EvtchnPending = (delegate* unmanaged<nint, int>)Export(evtchn, "xenevtchn_pending");
        native.EvtchnUnmask = (delegate* unmanaged<nint, uint, int>)Export(evtchn, "xenevtchn_unmask");
        native.GnttabOpen = (delegate* unmanaged<nint, uint, nint>)Export(gnttab, "xengnttab_open");
        native.GnttabMapGrantRef = (delegate* unmanaged<nint, uint, uint, int, nint>)Export(gnttab, "xengnttab_map_grant_ref");
        native.GnttabUnmap = (delegate* unmanaged<nint, nint, uint, int>)Export(gnttab, "xengnttab_unmap");
        native.XcInterfaceOpen = (delegate* unmanaged<nint, nint, uint, nint>)Export(ctrl, "xc_interface_open");
        native.XcDomainGetInfoList = (delegate* unmanaged<nint, uint, uint, byte*, int>)Export(ctrl, "xc_domain_getinfolist");
        return native;
    }

    /// <summary>A library handle: the process itself when it already provides the symbols, else the named library.</summary>
    private static (nint Process, nint Library, string Name) Library(string soname, string package, string? alternative = null)
    {
        var process = NativeLibrary.GetMainProgramHandle();
        if (NativeLibrary.TryLoad(soname, out var handle) || (alternative is not null && NativeLibrary.TryLoad(alternative, out handle)))
            return (process, handle, soname);
        return (process, 0, soname + $" (Debian package {package})");
    }

    private static nint Export((nint Process, nint Library, string Name) library, string symbol)
    {
        if (NativeLibrary.TryGetExport(library.Process, symbol, out var address)) return address;
        if (library.Library != 0 && NativeLibrary.TryGetExport(library.Library, symbol, out address)) return address;
        throw new PlatformNotSupportedException(
            library.Library == 0
                ? $"Real Xen needs {library.Name}, which is not installed, and {symbol} is not otherwise available."
                : $"{library.Name} has no {symbol}: a Xen 4.17 or later toolstack library is needed.");
    }
}
