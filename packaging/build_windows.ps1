# Windows build: the PyInstaller one-folder bundle (dist\kiosk\), its self-test, then the Inno
# Setup installer (dist\facenet-kiosk-<version>-setup.exe).
#
#   pwsh packaging\build_windows.ps1 [-Python python] [-SkipInstaller]
#
# Needs Python 3.11 or 3.12 with the project installed (`pip install -e .[package]`) and, for the
# installer, Inno Setup 6 (ISCC.exe on PATH or in its default folder; `choco install innosetup`).
# The CI workflow .github/workflows/windows-installer.yml runs it on a Windows runner. On Linux,
# packaging/build_windows_wine.sh builds the same installer from the same kiosk.spec and
# kiosk.iss under Wine (make package-windows), and make package-windows-test tests it there.
param(
    [string]$Python = "python",
    [switch]$SkipInstaller
)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

function Invoke-Checked([string]$What, [scriptblock]$Command) {
    Write-Host "`n== $What"
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)" }
}

Invoke-Checked "1/5 FaceNet weights (sha256-checked)" {
    & $Python -m kiosk weights fetch  # downloads nothing when the weights are there; builds missing exports
}
Invoke-Checked "2/5 int8 LiteRT export of FaceNet" {
    & $Python -c "from kiosk.core.base import paths; from kiosk.core.embedding import facenet_litert as litert; print('export:', litert.ensure_export(paths.weights_dir(), 'litert-int8'))"
}
Invoke-Checked "3/5 PyInstaller one-folder bundle" {
    # LiteRT needs vcruntime140_threads.dll (VC++ 2022), which kiosk.spec bundles from beside
    # python.exe or System32; the pinned msvc-runtime wheel puts it beside python.exe.
    & $Python -m pip install --disable-pip-version-check -q msvc-runtime==14.44.35112
    & $Python -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build\pyinstaller packaging\kiosk.spec
}

# The bundle must work with no network and no per-user cache: a fresh data dir, weights from
# the bundle, the window offscreen (the runner has no interactive desktop).
$data = Join-Path ([IO.Path]::GetTempPath()) ("kiosk-selftest-" + [guid]::NewGuid())
$env:KIOSK_DATA_DIR = $data
$env:QT_QPA_PLATFORM = "offscreen"
Invoke-Checked "4/5 self-test of the frozen build" { & dist\kiosk\kiosk.exe self-test }
Remove-Item Env:KIOSK_DATA_DIR, Env:QT_QPA_PLATFORM
Remove-Item -Recurse -Force $data -ErrorAction SilentlyContinue

$bundleMB = [math]::Round((Get-ChildItem dist\kiosk -Recurse -File | Measure-Object Length -Sum).Sum / 1MB)
Write-Host "bundle: $bundleMB MB (dist\kiosk)"
if ($SkipInstaller) { exit 0 }

Invoke-Checked "5/5 Inno Setup installer" {
    & $Python -c "from PIL import Image; Image.open('resources/kiosk.png').save('build/kiosk.ico', sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])"
    $version = (& $Python -c "import kiosk; print(kiosk.__version__)").Trim()
    $iscc = Get-Command ISCC.exe -ErrorAction SilentlyContinue
    $isccPath = if ($iscc) { $iscc.Source } else { Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe" }
    & $isccPath "/DAppVersion=$version" "/DBundleDir=$PWD\dist\kiosk" "/DIconFile=$PWD\build\kiosk.ico" `
        "/DOutputDir=$PWD\dist" packaging\windows\kiosk.iss
}
Get-ChildItem dist\facenet-kiosk-*-setup.exe | ForEach-Object { Write-Host ("installer: {0} ({1:N0} MB)" -f $_.Name, ($_.Length / 1MB)) }
