//! Choosing the call's media sources: the real camera and microphone when
//! they are there and work, the synthetic ones otherwise, and a report of
//! what was chosen (and why a device was passed over).

use crate::MediaSources;
use crate::camera::{Camera, CameraSettings};
use crate::microphone::{Microphone, MicrophoneSettings};
use crate::source::{
    AUDIO_FRAME_SAMPLES, AudioSource, I420Frame, SineTone, TestPattern, VideoSource,
};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Which video to send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum VideoInput {
    /// The first camera found, else the test pattern.
    #[default]
    Auto,
    /// This camera, else the test pattern.
    Device(PathBuf),
    /// Always the test pattern (tests, demos, terminals without a camera).
    TestPattern,
}

/// Which audio to send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AudioInput {
    /// The default microphone, else the test tone.
    #[default]
    Auto,
    /// The input device of this name (as the sound system lists it), else
    /// the test tone.
    Device(String),
    /// Always the test tone.
    Tone,
}

/// What [`MediaSources::detect`] looks for.
#[derive(Clone, Debug)]
pub struct SourceSettings {
    pub video: VideoInput,
    pub audio: AudioInput,
    /// Wanted picture size and rate (the camera's nearest is taken; the test
    /// pattern uses them as they are).
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// No picture from the camera for this long is an error.
    pub camera_timeout: Duration,
    /// No sound from the microphone for this long is an error.
    pub microphone_timeout: Duration,
}

impl Default for SourceSettings {
    /// Real devices if present, 640x480 at 30 fps.
    fn default() -> Self {
        Self {
            video: VideoInput::Auto,
            audio: AudioInput::Auto,
            width: 640,
            height: 480,
            fps: 30,
            camera_timeout: Duration::from_secs(2),
            microphone_timeout: Duration::from_secs(1),
        }
    }
}

impl SourceSettings {
    /// Synthetic sources only, whatever devices the machine has.
    pub fn synthetic() -> Self {
        Self {
            video: VideoInput::TestPattern,
            audio: AudioInput::Tone,
            ..Self::default()
        }
    }
}

/// Where the video comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VideoOrigin {
    /// A V4L2 camera: its device node and the driver's name for it.
    Camera {
        path: PathBuf,
        name: String,
    },
    TestPattern,
}

/// Where the audio comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AudioOrigin {
    /// A microphone, by the sound system's name for it.
    Microphone(String),
    Tone,
}

/// What [`MediaSources::detect`] chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detected {
    pub video: VideoOrigin,
    pub audio: AudioOrigin,
    /// Why the camera was not used, when it was looked for and not used.
    pub video_note: Option<String>,
    /// Why the microphone was not used, when it was looked for and not used.
    pub audio_note: Option<String>,
}

impl fmt::Display for Detected {
    /// One line for logs and the technician: `video: camera /dev/video0
    /// (USB Camera); audio: test tone (no microphone: ...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.video {
            VideoOrigin::Camera { path, name } => {
                write!(f, "video: camera {} ({name})", path.display())?
            }
            VideoOrigin::TestPattern => write!(f, "video: test pattern")?,
        }
        if let Some(note) = &self.video_note {
            write!(f, " ({note})")?;
        }
        match &self.audio {
            AudioOrigin::Microphone(name) => write!(f, "; audio: microphone \"{name}\"")?,
            AudioOrigin::Tone => write!(f, "; audio: test tone")?,
        }
        if let Some(note) = &self.audio_note {
            write!(f, " ({note})")?;
        }
        Ok(())
    }
}

impl MediaSources {
    /// Opens the camera and the microphone as `settings` ask, checks that
    /// each delivers (one picture, 20 ms of sound) and falls back to
    /// [`TestPattern`] / [`SineTone`] for whichever is missing or broken.
    /// Never fails; the [`Detected`] report says what was chosen and why.
    ///
    /// With real devices this takes up to about a second (cameras start
    /// slowly) and longer when a device hangs (the timeouts in `settings`):
    /// call it off the UI thread.
    pub fn detect(settings: &SourceSettings) -> (MediaSources, Detected) {
        let pattern = || -> Box<dyn VideoSource> {
            Box::new(TestPattern::new(
                settings.width,
                settings.height,
                settings.fps,
            ))
        };
        let (video, video_origin, video_note): (Box<dyn VideoSource>, _, _) = match &settings.video
        {
            VideoInput::TestPattern => (pattern(), VideoOrigin::TestPattern, None),
            input => {
                let camera = CameraSettings {
                    path: match input {
                        VideoInput::Device(p) => Some(p.clone()),
                        _ => None,
                    },
                    width: settings.width,
                    height: settings.height,
                    fps: settings.fps,
                    frame_timeout: settings.camera_timeout,
                };
                match open_camera(&camera) {
                    Ok(cam) => {
                        let origin = VideoOrigin::Camera {
                            path: cam.path().to_path_buf(),
                            name: cam.name().to_string(),
                        };
                        (Box::new(cam), origin, None)
                    }
                    Err(why) => {
                        log::warn!("{why}; sending the test pattern instead");
                        (pattern(), VideoOrigin::TestPattern, Some(why))
                    }
                }
            }
        };
        let (audio, audio_origin, audio_note): (Box<dyn AudioSource>, _, _) = match &settings.audio
        {
            AudioInput::Tone => (Box::new(SineTone::default()), AudioOrigin::Tone, None),
            input => {
                let mic = MicrophoneSettings {
                    device: match input {
                        AudioInput::Device(name) => Some(name.clone()),
                        _ => None,
                    },
                    frame_timeout: settings.microphone_timeout,
                };
                match open_microphone(&mic) {
                    Ok(m) => {
                        let origin = AudioOrigin::Microphone(m.name().to_string());
                        (Box::new(m), origin, None)
                    }
                    Err(why) => {
                        log::warn!("{why}; sending a test tone instead");
                        (Box::new(SineTone::default()), AudioOrigin::Tone, Some(why))
                    }
                }
            }
        };
        let detected = Detected {
            video: video_origin,
            audio: audio_origin,
            video_note,
            audio_note,
        };
        log::info!("media sources: {detected}");
        (
            MediaSources {
                video: Some(video),
                audio: Some(audio),
            },
            detected,
        )
    }
}

/// Opens the camera and takes one picture to be sure it delivers.
fn open_camera(settings: &CameraSettings) -> Result<Camera, String> {
    let mut cam = Camera::open(settings).map_err(|e| e.0)?;
    let (w, h) = cam.size();
    let mut frame = I420Frame::new(w, h);
    cam.next_frame(&mut frame).map_err(|e| e.0)?;
    Ok(cam)
}

/// Opens the microphone and takes 20 ms to be sure it delivers.
fn open_microphone(settings: &MicrophoneSettings) -> Result<Microphone, String> {
    let mut mic = Microphone::open(settings).map_err(|e| e.0)?;
    let mut buf = [0i16; AUDIO_FRAME_SAMPLES];
    mic.next_frame(&mut buf).map_err(|e| e.0)?;
    Ok(mic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_settings_give_synthetic_sources_of_the_asked_size() {
        let settings = SourceSettings {
            width: 320,
            height: 240,
            fps: 15,
            ..SourceSettings::synthetic()
        };
        let (sources, detected) = MediaSources::detect(&settings);
        assert_eq!(detected.video, VideoOrigin::TestPattern);
        assert_eq!(detected.audio, AudioOrigin::Tone);
        assert_eq!(
            (detected.video_note.as_ref(), detected.audio_note.as_ref()),
            (None, None)
        );
        let video = sources.video.unwrap();
        assert_eq!((video.size(), video.fps()), ((320, 240), 15));
        assert!(sources.audio.is_some());
        assert_eq!(
            detected.to_string(),
            "video: test pattern; audio: test tone"
        );
    }

    #[test]
    fn a_missing_camera_falls_back_to_the_test_pattern_and_says_why() {
        let settings = SourceSettings {
            video: VideoInput::Device(PathBuf::from("/dev/video-none")),
            audio: AudioInput::Tone,
            ..SourceSettings::default()
        };
        let (sources, detected) = MediaSources::detect(&settings);
        assert_eq!(detected.video, VideoOrigin::TestPattern);
        assert!(
            detected
                .video_note
                .as_deref()
                .unwrap()
                .contains("/dev/video-none"),
            "{detected}"
        );
        let mut video = sources.video.unwrap();
        let mut f = I420Frame::new(640, 480);
        video.next_frame(&mut f).unwrap();
    }

    #[test]
    fn auto_never_fails() {
        // On CI (no camera, no sound card) this is the synthetic pair with
        // notes; on a developer's machine it may be the real devices.
        let (sources, detected) = MediaSources::detect(&SourceSettings::default());
        assert!(sources.video.is_some() && sources.audio.is_some());
        if detected.video == VideoOrigin::TestPattern {
            assert!(detected.video_note.is_some());
        }
        if detected.audio == AudioOrigin::Tone {
            assert!(detected.audio_note.is_some());
        }
    }
}
