# Pester 5: the documented examples run. Every example of every cmdlet's help, of the provider's
# cmdlet help (Get-Help <cmdlet> -Path xs:) and every indented example block of the about_XenStore*
# topics: each parses, splats no variable it never assigns (an unquoted @releaseDomain would), and
# runs without an error in a fresh session whose xs: drive is a daemon embedded in it (skipped where
# a real xenstored answers: the examples write). A cmdlet example runs in a session of its own; an
# about topic's blocks run in order in one session (a block may use the $w of the one before), after
# a few nodes the topic's examples talk about are made. Blocks that need what a test machine lacks
# (a xenstored on the standard socket, a xenbus device) are only parsed.
BeforeDiscovery {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force -WarningAction Ignore
    $CmdletExamples = foreach ($name in (Get-Module XenStore).ExportedCmdlets.Keys | Sort-Object) {
        $i = 0
        foreach ($example in (Get-Help $name).examples.example) {
            $i++
            # An example that reaches other hosts needs them: it is parsed here; Remoting.Tests.ps1 tests such commands.
            $needs = if ($example.code -match '-HostName') { 'hosts reached through ssh (Remoting.Tests.ps1 tests it against sshd servers of its own)' }
            @{ Name = $name; Number = $i; Code = $example.code; Needs = $needs }
        }
    }
    # The cmdlets the provider documents for itself (providerHelp/CmdletHelpPaths).
    $helpXml = [xml](Get-Content -Raw (Join-Path $ProjectRoot 'en-US/XenStore.PowerShell.dll-Help.xml'))
    $ProviderCmdlets = @($helpXml.helpItems.providerHelp.CmdletHelpPaths.CmdletHelpPath.command | ForEach-Object { $_.details.name })
    $ProviderExamples = foreach ($name in $ProviderCmdlets) {
        $i = 0
        foreach ($example in (Get-Help $name -Path xs:/).examples.example) {
            $i++
            @{ Name = $name; Number = $i; Code = $example.code }
        }
    }
    # Example blocks of the about topics: lines indented by eight spaces, a blank line or prose ends one.
    $AboutExamples = foreach ($topic in Get-ChildItem (Join-Path $ProjectRoot 'en-US') -Filter 'about_XenStore*.help.txt' | Sort-Object Name) {
        $block = $null
        $n = 0
        foreach ($line in (Get-Content $topic.FullName) + '') {
            if ($line -match '^ {8}') {
                if ($null -eq $block) { $block = [System.Collections.Generic.List[string]]::new() }
                $block.Add($line.Substring(8))
            }
            elseif ($null -ne $block) {
                $n++
                $code = $block -join "`n"
                $needs = if ($code -match '/run/xenstored/socket|-Xenbus') { 'a xenstored on the standard socket and a xenbus device' }
                         elseif ($code -match '/tmp/xs') { 'the fixed run directory /tmp/xs, shared by everything on the machine' }
                         elseif ($code -match '-HostName') { 'hosts reached through ssh (Remoting.Tests.ps1 tests these commands against sshd servers of its own)' }
                @{ Topic = $topic.BaseName -replace '\.help$'; Number = $n; Code = $code; Needs = $needs }
                $block = $null
            }
        }
    }
    $AllExamples = @($CmdletExamples) + @($ProviderExamples) + @($AboutExamples | ForEach-Object { @{ Name = $_.Topic; Number = $_.Number; Code = $_.Code } })
    $Embedded = $null -ne (Get-PSDrive xs -ErrorAction Ignore).EmbeddedDaemon
}

BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $Manifest = Join-Path $ProjectRoot 'XenStore.psd1'
    function Invoke-Fresh([string] $Code) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$Manifest' -WarningAction Ignore; Set-Location '$TestDrive'; $Code")
            $null = $ps.Invoke()
            @($ps.Streams.Error | ForEach-Object { "$_" })
        }
        finally {
            $ps.Dispose()
        }
    }
}

Describe 'Help examples are PowerShell' -Tags 'CI' {
    It '<Name> example <Number> parses and splats only variables it assigns' -TestCases $AllExamples {
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref] $tokens, [ref] $errors)
        $errors | ForEach-Object Message | Should -BeNullOrEmpty
        $assigned = $ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.AssignmentStatementAst] }, $true) |
            ForEach-Object { $_.Left.Extent.Text.TrimStart('$') }
        $splatted = $ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.VariableExpressionAst] -and $a.Splatted }, $true) |
            ForEach-Object { $_.VariablePath.UserPath } | Where-Object { $_ -notin $assigned }
        $splatted | Should -BeNullOrEmpty -Because 'an unquoted @name splats the variable $name; quote special paths such as ''@releaseDomain'''
    }
}

Describe 'Cmdlet help examples' -Tags 'CI' {
    It '<Name> example <Number> runs' -TestCases $CmdletExamples -Skip:(-not $Embedded) {
        if ($Needs) { Set-ItResult -Skipped -Because "it needs $Needs" }
        Invoke-Fresh $Code | Should -BeNullOrEmpty
    }
}

Describe 'Provider cmdlet help examples' -Tags 'CI' {
    It 'the provider documents Get-ChildItem, Get-Content, Set-Content and New-PSDrive' -TestCases @{ ProviderCmdlets = $ProviderCmdlets } {
        $ProviderCmdlets | Should -Contain 'Get-ChildItem'
        $ProviderCmdlets | Should -Contain 'Get-Content'
        $ProviderCmdlets | Should -Contain 'Set-Content'
        $ProviderCmdlets | Should -Contain 'New-PSDrive'
    }

    It '<Name> -Path xs: example <Number> runs' -TestCases $ProviderExamples -Skip:(-not $Embedded) {
        Invoke-Fresh $Code | Should -BeNullOrEmpty
    }
}

Describe 'About topic examples' -Tags 'CI' -Skip:(-not $Embedded) {
    BeforeAll {
        # The laid-out module folder, so that the topics' Import-Module XenStore finds it.
        $savedModulePath = $env:PSModulePath
        $env:PSModulePath = (Join-Path $ProjectRoot 'module') + [IO.Path]::PathSeparator + $env:PSModulePath
        $sessions = @{}
        function Get-TopicSession([string] $Topic) {
            if (-not $sessions[$Topic]) {
                $ps = [powershell]::Create()
                # The nodes, domain and drive the examples talk about.
                $null = $ps.AddScript(@"
Import-Module '$Manifest' -WarningAction Ignore
Set-Location '$TestDrive'
New-Item xs:/vm/demo/name -Value web01 -Force | Out-Null
New-Item xs:/vm/a -Value '' -Force | Out-Null
Set-Content xs:/counter 0
New-Item xs:/local/domain/0/backend/vbd/19/51712/state -Value 4 -Force | Out-Null
New-Item xs:/local/domain/0/backend/vif/19/0 -Value 4 -Force | Out-Null
New-XenStoreDomain 19 -Name web01 -Introduce | Out-Null
Connect-XenStore -Name other -Embedded | Out-Null
"@)
                $null = $ps.Invoke()
                $ps.Streams.Error | ForEach-Object { "$_" } | Should -BeNullOrEmpty
                $ps.Commands.Clear()
                $sessions[$Topic] = $ps
            }
            $sessions[$Topic]
        }
    }

    AfterAll {
        $env:PSModulePath = $savedModulePath
        $sessions.Values | ForEach-Object { $_.Dispose() }
    }

    It '<Topic> block <Number> runs' -TestCases $AboutExamples {
        if ($Needs) { Set-ItResult -Skipped -Because "it needs $Needs" }
        $ps = Get-TopicSession $Topic
        $ps.Streams.Error.Clear()
        $ps.Commands.Clear()
        $null = $ps.AddScript($Code)
        $null = $ps.Invoke()
        $ps.Streams.Error | ForEach-Object { "$_" } | Should -BeNullOrEmpty
    }
}
