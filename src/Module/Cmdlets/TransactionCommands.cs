using System.Management.Automation;
using XenStore.Client;
using XenStore.Protocol;

namespace XenStore.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Starts a transaction that every provider operation on the drive joins.</para>
/// <para type="description">Until Complete-XenStoreTransaction or Undo-XenStoreTransaction, Get-Item, Set-Item, New-Item, Remove-Item... on the drive run inside the transaction: others see nothing until it commits.</para>
/// </summary>
/// <example><code>Start-XenStoreTransaction; New-Item xs:/vm/a -Value 1 -Force; New-Item xs:/vm/b -Value 2 -Force; Complete-XenStoreTransaction</code></example>
[Cmdlet(VerbsLifecycle.Start, "XenStoreTransaction", SupportsShouldProcess = true)]
[OutputType(typeof(XenStoreTransaction))]
public sealed class StartXenStoreTransactionCommand : XenStoreCmdlet
{
    /// <summary>The drive (default: the current XenStore drive, else xs:).</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(DriveNameCompleter))]
    public string? Drive { get; set; }

    protected override void EndProcessing()
    {
        var drive = ResolveDrive(Drive);
        if (drive.Transaction is { IsOpen: true })
        {
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException($"Drive {drive.Name}: already has a transaction open; complete or undo it first."),
                "XenStore.EBUSY", ErrorCategory.ResourceBusy, drive.Name));
        }
        if (!ShouldProcess($"{drive.Name}:", "Start XenStore transaction")) return;
        var transaction = Run(() => drive.Client.StartTransactionAsync(), drive.Name);
        if (transaction is null) return;
        drive.Transaction = transaction;
        WriteObject(transaction);
    }
}

/// <summary>
/// <para type="synopsis">Commits the drive's transaction.</para>
/// <para type="description">A conflict with a change made meanwhile is a terminating error with id XenStore.EAGAIN: the transaction is gone and must be run again (Invoke-XenStoreTransaction does that for you).</para>
/// </summary>
/// <example><code>Start-XenStoreTransaction -Drive xs | Out-Null; Set-Content xs:/vm/a 1; Complete-XenStoreTransaction -Drive xs</code></example>
[Cmdlet(VerbsLifecycle.Complete, "XenStoreTransaction", SupportsShouldProcess = true)]
public sealed class CompleteXenStoreTransactionCommand : EndTransactionCmdlet
{
    protected override void EndProcessing()
    {
        if (TakeTransaction("Commit XenStore transaction") is not (var drive, var transaction)) return;
        try
        {
            transaction.CommitAsync().GetAwaiter().GetResult();
        }
        catch (XenStoreException e)
        {
            ThrowTerminatingError(XenStoreErrorRecords.For(e, e.Code, e.ErrorName, drive.Name + ":"));
        }
    }
}

/// <summary>
/// <para type="synopsis">Abandons the drive's transaction: none of its changes happen.</para>
/// </summary>
/// <example><code>Start-XenStoreTransaction | Out-Null; New-Item xs:/vm/draft -Value 1 -Force | Out-Null; Undo-XenStoreTransaction; Test-Path xs:/vm/draft</code></example>
[Cmdlet(VerbsCommon.Undo, "XenStoreTransaction", SupportsShouldProcess = true)]
public sealed class UndoXenStoreTransactionCommand : EndTransactionCmdlet
{
    protected override void EndProcessing()
    {
        if (TakeTransaction("Abort XenStore transaction") is (var drive, var transaction))
            Run(() => transaction.AbortAsync(), drive.Name);
    }
}

/// <summary>What Complete- and Undo-XenStoreTransaction share: the drive, and taking its transaction off it.</summary>
public abstract class EndTransactionCmdlet : XenStoreCmdlet
{
    /// <summary>The drive (default: the current XenStore drive, else xs:).</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(DriveNameCompleter))]
    public string? Drive { get; set; }

    /// <summary>The drive's open transaction, detached from the drive; null when -WhatIf or declined.</summary>
    protected (XenStoreDriveInfo Drive, XenStoreTransaction Transaction)? TakeTransaction(string action)
    {
        var drive = ResolveDrive(Drive);
        var transaction = drive.Transaction ?? throw new PSInvalidOperationException($"Drive {drive.Name}: has no transaction open.");
        if (!ShouldProcess($"{drive.Name}: {transaction}", action)) return null;
        drive.Transaction = null;
        return (drive, transaction);
    }
}

/// <summary>
/// <para type="synopsis">Runs a script block in a transaction, again if it conflicts.</para>
/// <para type="description">Provider operations on the drive inside the block join the transaction. On EAGAIN the block runs again in a new transaction, up to -MaxAttempts times; the block's output of the successful run is written.</para>
/// </summary>
/// <example><code>Set-Content xs:/counter 0; Invoke-XenStoreTransaction { $n = [int](Get-Content xs:/counter); Set-Content xs:/counter ($n + 1) }; Get-Content xs:/counter</code></example>
[Cmdlet(VerbsLifecycle.Invoke, "XenStoreTransaction", SupportsShouldProcess = true)]
public sealed class InvokeXenStoreTransactionCommand : XenStoreCmdlet
{
    /// <summary>The changes to make together; provider operations on the drive inside it join the transaction.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public ScriptBlock ScriptBlock { get; set; } = ScriptBlock.Create("");

    /// <summary>The drive (default: the current XenStore drive, else xs:).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(DriveNameCompleter))]
    public string? Drive { get; set; }

    /// <summary>How many times the block runs at most when its transaction conflicts (EAGAIN) (default 16).</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int MaxAttempts { get; set; } = 16;

    protected override void EndProcessing()
    {
        var drive = ResolveDrive(Drive);
        if (drive.Transaction is not null)
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException($"Drive {drive.Name}: already has a transaction open."), "XenStore.EBUSY", ErrorCategory.ResourceBusy, drive.Name));
        if (!ShouldProcess($"{drive.Name}:", "Run script block in a XenStore transaction")) return;
        for (var attempt = 1; ; attempt++)
        {
            var transaction = Run(() => drive.Client.StartTransactionAsync(), drive.Name);
            if (transaction is null) return;
            drive.Transaction = transaction;
            System.Collections.ObjectModel.Collection<PSObject> output;
            try
            {
                output = ScriptBlock.Invoke();
            }
            catch
            {
                drive.Transaction = null;
                transaction.DisposeAsync().AsTask().GetAwaiter().GetResult();
                throw;
            }
            drive.Transaction = null;
            try
            {
                transaction.CommitAsync().GetAwaiter().GetResult();
                WriteObject(output, enumerateCollection: true);
                return;
            }
            catch (XenStoreException e) when (e.Code == XenStoreErrorCode.EAGAIN && attempt < MaxAttempts)
            {
                WriteVerbose($"Transaction conflicted (attempt {attempt}); running the block again.");
                Thread.Sleep(Random.Shared.Next(0, Math.Min(100, 1 << Math.Min(attempt, 7))));
            }
            catch (XenStoreException e)
            {
                ThrowTerminatingError(XenStoreErrorRecords.For(e, e.Code, e.ErrorName, drive.Name + ":"));
            }
        }
    }
}
